/* Max pooling over (N*C) maps of H x W; windows that do not fit are dropped. The index
 * of each window's maximum (row-major within the window, first one on ties, as numpy's
 * argmax) is kept for the backward pass. */

__kernel void maxpool_fwd(
    const int total, const int H, const int W, const int Ho, const int Wo,
    const int pv, const int ph, const int sv, const int sh,
    __global const REAL *x, __global REAL *y, __global int *arg)
{
    const int gid = get_global_id(0);
    if (gid >= total) return;
    const int ox = gid % Wo, oy = (gid / Wo) % Ho, m = gid / (Wo * Ho);
    __global const REAL *src = x + (m * H + oy * sv) * W + ox * sh;
    REAL best = src[0];
    int where = 0;
    for (int i = 0; i < pv; ++i)
        for (int j = 0; j < ph; ++j) {
            const REAL val = src[i * W + j];
            /* NaN wins, as with numpy's argmax, so that divergence stays visible. */
            if (val > best || (val != val && best == best)) {
                best = val;
                where = i * ph + j;
            }
        }
    y[gid] = best;
    arg[gid] = where;
}

/* dx: each input element gathers dy from the windows whose maximum it was. */
__kernel void maxpool_bwd(
    const int total, const int H, const int W, const int Ho, const int Wo,
    const int pv, const int ph, const int sv, const int sh,
    __global const REAL *dy, __global const int *arg, __global REAL *dx)
{
    const int gid = get_global_id(0);
    if (gid >= total) return;
    const int xi = gid % W, yi = (gid / W) % H, m = gid / (W * H);
    const int oy_lo = yi < pv ? 0 : (yi - pv) / sv + 1;
    const int ox_lo = xi < ph ? 0 : (xi - ph) / sh + 1;
    const int oy_hi = IMIN(yi / sv, Ho - 1), ox_hi = IMIN(xi / sh, Wo - 1);
    REAL acc = 0;
    for (int oy = oy_lo; oy <= oy_hi; ++oy)
        for (int ox = ox_lo; ox <= ox_hi; ++ox) {
            const int o = (m * Ho + oy) * Wo + ox;
            if (arg[o] == (yi - oy * sv) * ph + (xi - ox * sh)) acc += dy[o];
        }
    dx[gid] = acc;
}
