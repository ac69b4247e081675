/* Matrix products. Two register-blocked kernels cover every transpose case:
 *
 * gemm_vn: C = op(A) B with B's rows contiguous (vectors along n). A is read through
 *   two strides, so A or A^T costs the same. Each work-item owns an RM x VW block of C
 *   and keeps it in RM vector accumulators: one vector load of B feeds RM FMAs.
 * gemm_vk: C = A B^T with the rows of A and B both contiguous along k (dot products).
 *   Each work-item owns a KM x KN block of C, accumulating KM*KN vectors along k, and
 *   can sum over a batch of such products (the convolution's weight gradient).
 *
 * Both take a batch index in dimension 2 (gemm_vn) or a batch loop (gemm_vk) so that
 * per-sample products of a convolution need no copies. Rows past M are clamped to M-1
 * (computed, never stored) so that the inner loops stay branch-free; a column block
 * that runs past N takes a scalar path.
 *
 * Both can also cut the sum into parts (grid dimension 2): part p sums k in
 * [p*kc, p*kc + kc) (gemm_vk: over its own run of bc batches too) and writes its partial
 * C at C + p*c_sp; the host adds the parts. A product with few blocks of C and a long
 * sum (fig5's dense layer: 48 blocks, k = 3456) would otherwise keep a GPU's work-items
 * few and each one long; with one part the loops are those of a plain product.
 */

__kernel void gemm_vn(
    const int M, const int N, const int K,
    __global const REAL *A, const int a_sm, const int a_sk, const int a_sb,
    __global const REAL *B, const int ldb, const int b_sb,
    __global REAL *C, const int ldc, const int c_sb,
    const int parts, const int kc, const int c_sp)
{
    const int n0 = get_global_id(0) * VW;
    const int m0 = get_global_id(1) * RM;
    const int bt = get_global_id(2) / parts;
    const int part = get_global_id(2) - bt * parts;
    if (n0 >= N || m0 >= M) return;
    const int k0 = part * kc, k1 = IMIN(K, k0 + kc);
    A += bt * a_sb;
    B += bt * b_sb;
    C += bt * c_sb + part * c_sp;
    int rows[RM];
    #pragma unroll
    for (int i = 0; i < RM; ++i) rows[i] = IMIN(m0 + i, M - 1) * a_sm;

    if (n0 + VW <= N) {
        REALV acc[RM];
        #pragma unroll
        for (int i = 0; i < RM; ++i) acc[i] = (REALV)(0);
        for (int k = k0; k < k1; ++k) {
            const REALV b = LOADW(B + k * ldb + n0);
            const int ak = k * a_sk;
            #pragma unroll
            for (int i = 0; i < RM; ++i) acc[i] = MADD((REALV)(A[rows[i] + ak]), b, acc[i]);
        }
        #pragma unroll
        for (int i = 0; i < RM && m0 + i < M; ++i) STOREW(acc[i], C + (m0 + i) * ldc + n0);
    } else {
        for (int j = n0; j < N; ++j) {
            REAL acc[RM];
            #pragma unroll
            for (int i = 0; i < RM; ++i) acc[i] = 0;
            for (int k = k0; k < k1; ++k) {
                const REAL b = B[k * ldb + j];
                const int ak = k * a_sk;
                #pragma unroll
                for (int i = 0; i < RM; ++i) acc[i] = MADD(A[rows[i] + ak], b, acc[i]);
            }
            #pragma unroll
            for (int i = 0; i < RM && m0 + i < M; ++i) C[(m0 + i) * ldc + j] = acc[i];
        }
    }
}

inline REAL hsum_k(const REALK v)
{
#if VK == 16
    const CAT(REAL, 8) h8 = v.lo + v.hi;
    const CAT(REAL, 4) h4 = h8.lo + h8.hi;
#elif VK == 8
    const CAT(REAL, 4) h4 = v.lo + v.hi;
#else
    const CAT(REAL, 4) h4 = v;
#endif
    const CAT(REAL, 2) h2 = h4.lo + h4.hi;
    return h2.x + h2.y;
}

__kernel void gemm_vk(
    const int M, const int N, const int K, const int batches,
    __global const REAL *A, const int lda, const int a_sb,
    __global const REAL *B, const int ldb, const int b_sb,
    __global REAL *C, const int ldc,
    const int kparts, const int kc, const int bc, const int c_sp)
{
    const int n0 = get_global_id(0) * KN;
    const int m0 = get_global_id(1) * KM;
    const int bpart = get_global_id(2) / kparts;
    const int kpart = get_global_id(2) - bpart * kparts;
    if (n0 >= N || m0 >= M) return;
    const int k0 = kpart * kc, k1 = IMIN(K, k0 + kc);
    const int b0 = bpart * bc, b1 = IMIN(batches, b0 + bc);
    C += get_global_id(2) * c_sp;
    int ra[KM], rb[KN];
    #pragma unroll
    for (int i = 0; i < KM; ++i) ra[i] = IMIN(m0 + i, M - 1) * lda;
    #pragma unroll
    for (int j = 0; j < KN; ++j) rb[j] = IMIN(n0 + j, N - 1) * ldb;
    REALK acc[KM][KN];
    REAL tail[KM][KN];
    #pragma unroll
    for (int i = 0; i < KM; ++i)
        #pragma unroll
        for (int j = 0; j < KN; ++j) {
            acc[i][j] = (REALK)(0);
            tail[i][j] = 0;
        }
    const int kv = k1 - (k1 - k0) % VK;
    for (int bt = b0; bt < b1; ++bt) {
        __global const REAL *a = A + bt * a_sb;
        __global const REAL *b = B + bt * b_sb;
        for (int k = k0; k < kv; k += VK) {
            REALK av[KM], bv[KN];
            #pragma unroll
            for (int i = 0; i < KM; ++i) av[i] = LOADK(a + ra[i] + k);
            #pragma unroll
            for (int j = 0; j < KN; ++j) bv[j] = LOADK(b + rb[j] + k);
            #pragma unroll
            for (int i = 0; i < KM; ++i)
                #pragma unroll
                for (int j = 0; j < KN; ++j) acc[i][j] = MADD(av[i], bv[j], acc[i][j]);
        }
        for (int k = kv; k < k1; ++k)
            #pragma unroll
            for (int i = 0; i < KM; ++i)
                #pragma unroll
                for (int j = 0; j < KN; ++j)
                    tail[i][j] = MADD(a[ra[i] + k], b[rb[j] + k], tail[i][j]);
    }
    #pragma unroll
    for (int i = 0; i < KM && m0 + i < M; ++i)
        #pragma unroll
        for (int j = 0; j < KN && n0 + j < N; ++j)
            C[(m0 + i) * ldc + n0 + j] = hsum_k(acc[i][j]) + tail[i][j];
}

/* out (cols x rows) = in^T for in (rows x cols), through a local-memory tile so that
 * both the reads and the writes are contiguous. */
#define TT 16
__kernel void transpose(const int rows, const int cols,
                        __global const REAL *in, __global REAL *out)
{
    __local REAL tile[TT][TT + 1];
    const int c = get_group_id(0) * TT + get_local_id(0);
    const int r = get_group_id(1) * TT + get_local_id(1);
    if (r < rows && c < cols) tile[get_local_id(1)][get_local_id(0)] = in[r * cols + c];
    barrier(CLK_LOCAL_MEM_FENCE);
    const int oc = get_group_id(1) * TT + get_local_id(0);
    const int orow = get_group_id(0) * TT + get_local_id(1);
    if (orow < cols && oc < rows) out[orow * rows + oc] = tile[get_local_id(0)][get_local_id(1)];
}
