/* Sums over the middle axis of an (outer, mid, inner) array, optionally of |x|.
 *
 * The middle axis is cut into `parts` chunks of `chunk` elements, so that one call
 * gives out[o][s][i] = sum over chunk s; a long reduction is two calls (chunks, then
 * parts) instead of one work-item walking the whole axis. Adjacent work-items take
 * adjacent i, so their reads are contiguous whenever inner > 1.
 */
__kernel void reduce_mid(const int total, const int outer, const int mid, const int inner, const int parts,
                         const int chunk, const int absval,
                         __global const REAL *x, __global REAL *out)
{
    const int gid = get_global_id(0);
    if (gid >= total) return;
    const int i = gid % inner;
    const int s = (gid / inner) % parts;
    const int o = gid / (inner * parts);
    const int lo = s * chunk, hi = IMIN(mid, lo + chunk);
    __global const REAL *src = x + (size_t)o * mid * inner + i;
    REAL acc = 0;
    if (absval)
        for (int m = lo; m < hi; ++m) acc += ABS(src[m * inner]);
    else
        for (int m = lo; m < hi; ++m) acc += src[m * inner];
    out[gid] = acc;
}
