/* Convolution glue around the GEMM kernels.
 *
 * Columns are laid out per sample, cols[n][(c*v + i)*h + j][oy*Wo + ox], so that the
 * forward pass is one batched gemm_vn (W (F x CK) times cols[n] (CK x P)) writing y
 * directly in (N, F, Ho, Wo) order, and the weight gradient one gemm_vk summed over the
 * batch. A padded-map coordinate yp maps to the input row (yp - pv) / (iv + 1) when
 * that division is exact and in range, and to an inserted or border zero otherwise.
 */

/* One work-item per row of columns: the grid is (oy, n*CK + r) and the work-item
 * fills the Wo elements of its row, so that the index arithmetic (integer divisions)
 * is paid once per row rather than once per element. */
__kernel void im2col(
    const int C, const int H, const int W,
    const int v, const int h, const int sv, const int sh, const int pv, const int ph,
    const int iv, const int ih, const int Ho, const int Wo, const int rows,
    __global const REAL *x, __global REAL *cols)
{
    const int oy = get_global_id(0), row = get_global_id(1);
    if (oy >= Ho || row >= rows) return;
    const int CK = C * v * h;
    const int r = row % CK, n = row / CK;
    const int j = r % h, i = (r / h) % v, c = r / (h * v);
    __global REAL *dst = cols + ((size_t)row * Ho + oy) * Wo;
    const int yd = oy * sv + i - pv;
    const int yi = yd / (iv + 1);
    if (yd < 0 || yd % (iv + 1) != 0 || yi >= H) {
        for (int ox = 0; ox < Wo; ++ox) dst[ox] = 0;
        return;
    }
    __global const REAL *src = x + ((size_t)(n * C + c) * H + yi) * W;
    if (ih == 0) {
        for (int ox = 0; ox < Wo; ++ox) {
            const int xd = ox * sh + j - ph;
            dst[ox] = (xd >= 0 && xd < W) ? src[xd] : 0;
        }
    } else {
        for (int ox = 0; ox < Wo; ++ox) {
            const int xd = ox * sh + j - ph;
            const int xi = xd / (ih + 1);
            dst[ox] = (xd >= 0 && xd % (ih + 1) == 0 && xi < W) ? src[xi] : 0;
        }
    }
}

/* dx[n][c][y][x]: the sum of dcols over every (kernel offset, output position) that
 * read input element (y, x). A gather, so no two work-items write the same element.
 * The grid is (y, n*C + c), one work-item per input row. Only the kernel rows i with
 * yp - i a multiple of the stride reach an output row, so i steps by the stride from
 * the first of them; the same for the columns j. */
__kernel void col2im(
    const int C, const int H, const int W,
    const int v, const int h, const int sv, const int sh, const int pv, const int ph,
    const int iv, const int ih, const int Ho, const int Wo, const int maps,
    __global const REAL *dcols, __global REAL *dx)
{
    const int yi = get_global_id(0), map = get_global_id(1);
    if (yi >= H || map >= maps) return;
    const int c = map % C, n = map / C;
    const int P = Ho * Wo, CK = C * v * h;
    const int yp = yi * (iv + 1) + pv;
    __global const REAL *base = dcols + ((size_t)n * CK + c * v * h) * P;
    __global REAL *dst = dx + ((size_t)map * H + yi) * W;
    for (int xi = 0; xi < W; ++xi) dst[xi] = 0;
    for (int i = yp % sv; i < v && i <= yp; i += sv) {
        const int oy = (yp - i) / sv;
        if (oy >= Ho) continue;
        for (int xi = 0; xi < W; ++xi) {
            const int xp = xi * (ih + 1) + ph;
            REAL acc = 0;
            for (int j = xp % sh; j < h && j <= xp; j += sh) {
                const int ox = (xp - j) / sh;
                if (ox < Wo) acc += base[(i * h + j) * P + oy * Wo + ox];
            }
            dst[xi] += acc;
        }
    }
}
