/* Elementwise ops over flat arrays of n elements, one element per work-item.
 * Comparisons are written so that NaN passes through (a diverging network must show
 * NaN, not a clipped value). */

#define UNARY(name, expr)                                                              \
    __kernel void name(const int n, __global const REAL *x, __global REAL *y)        \
    {                                                                                  \
        const int i = get_global_id(0);                                                \
        if (i < n) {                                                                   \
            const REAL a = x[i];                                                       \
            y[i] = (expr);                                                             \
        }                                                                              \
    }

#define BINARY(name, expr)                                                             \
    __kernel void name(const int n, __global const REAL *x, __global const REAL *z,  \
                       __global REAL *y)                                               \
    {                                                                                  \
        const int i = get_global_id(0);                                                \
        if (i < n) {                                                                   \
            const REAL a = x[i], b = z[i];                                             \
            y[i] = (expr);                                                             \
        }                                                                              \
    }

/* activations; sigmoid as 0.5 (1 + tanh(x / 2)), which never overflows */
UNARY(act_relu, a < 0 ? (REAL)0 : a)
UNARY(act_tanh, tanh(a))
UNARY(act_sigmoid, (REAL)0.5 * ((REAL)1 + tanh((REAL)0.5 * a)))
UNARY(act_bipolar_sigmoid, tanh((REAL)0.5 * a))

/* activation derivatives, from the input a (relu) or the output a (the others) */
UNARY(grad_relu, a > 0 ? (REAL)1 : (REAL)0)
UNARY(grad_tanh, (REAL)1 - a * a)
UNARY(grad_sigmoid, a * ((REAL)1 - a))
UNARY(grad_bipolar_sigmoid, (REAL)0.5 * ((REAL)1 - a * a))

/* the losses' unary ops */
UNARY(un_abs, fabs(a))
UNARY(un_sign, a > 0 ? (REAL)1 : (a < 0 ? (REAL)-1 : a))
UNARY(un_square, a * a)
UNARY(un_log, log(a < IGNET_EPS ? IGNET_EPS : a))
UNARY(un_reciprocal, (REAL)1 / (a < IGNET_EPS ? IGNET_EPS : a))
UNARY(un_complement, (REAL)1 - a)

BINARY(bin_mul, a * b)
BINARY(bin_sub, a - b)

__kernel void fill(const int n, const REAL value, __global REAL *y)
{
    const int i = get_global_id(0);
    if (i < n) y[i] = value;
}

__kernel void scale(const int n, const REAL alpha, __global const REAL *x, __global REAL *y)
{
    const int i = get_global_id(0);
    if (i < n) y[i] = alpha * x[i];
}

/* y <- a x + b y, in place (the optimizers' update) */
__kernel void axpby(const int n, __global REAL *y, __global const REAL *x,
                    const REAL a, const REAL b)
{
    const int i = get_global_id(0);
    if (i < n) y[i] = a * x[i] + b * y[i];
}

/* y[n][f][...] += bias[f], in place, for maps of `inner` elements per channel */
__kernel void add_bias(const int n, const int F, const int inner,
                       __global REAL *y, __global const REAL *bias)
{
    const int i = get_global_id(0);
    if (i < n) y[i] += bias[(i / inner) % F];
}

/* Softmax of each of `rows` rows of `cols` elements; one work-item per row. */
__kernel void softmax(const int rows, const int cols, __global const REAL *x, __global REAL *y)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const REAL *src = x + r * cols;
    __global REAL *dst = y + r * cols;
    REAL top = src[0];
    for (int j = 1; j < cols; ++j) top = src[j] > top ? src[j] : top;
    REAL total = 0;
    for (int j = 0; j < cols; ++j) {
        const REAL e = exp(src[j] - top);
        dst[j] = e;
        total += e;
    }
    const REAL inv = (REAL)1 / total;
    for (int j = 0; j < cols; ++j) dst[j] *= inv;
}

/* dx = y (dy - sum(y dy)) per row */
__kernel void softmax_grad(const int rows, const int cols, __global const REAL *y,
                           __global const REAL *dy, __global REAL *dx)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    const int o = r * cols;
    REAL inner = 0;
    for (int j = 0; j < cols; ++j) inner += y[o + j] * dy[o + j];
    for (int j = 0; j < cols; ++j) dx[o + j] = y[o + j] * (dy[o + j] - inner);
}
