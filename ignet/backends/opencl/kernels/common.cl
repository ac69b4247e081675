/* Shared definitions for every IgNet OpenCL kernel.
 *
 * The host builds all kernel files as one program per (context, dtype), passing
 * -D REAL=float or -D REAL=double and the tile sizes below. Kernels take element
 * counts and strides as int arguments, so one build serves every shape.
 */

#ifdef IGNET_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif

#ifndef REAL
#define REAL float
#endif

/* Width of the vectors a GEMM work-item loads along its contiguous axis. */
#ifndef VW
#define VW 16
#endif
/* Rows of C per work-item in gemm_vn. */
#ifndef RM
#define RM 8
#endif
/* Rows and columns of C per work-item in gemm_vk, and its vector width along k. */
#ifndef KM
#define KM 4
#endif
#ifndef KN
#define KN 4
#endif
#ifndef VK
#define VK 8
#endif

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define REALV CAT(REAL, VW)
#define REALK CAT(REAL, VK)

/* Helpers for the hot loops. PoCL's CPU driver calls its built-in functions (fma,
 * vloadn, min, fabs) out of line, which keeps accumulators in memory; plain operators
 * and, on PoCL (the host defines IGNET_VECTOR_CAST), unaligned vector pointers let its
 * compiler keep everything in registers. Other compilers get the built-ins. */
#define MADD(a, b, c) ((a) * (b) + (c))
#define IMIN(a, b) ((a) < (b) ? (a) : (b))
#define ABS(a) ((a) < 0 ? -(a) : (a))
#ifdef IGNET_VECTOR_CAST
typedef REAL ignet_realw __attribute__((ext_vector_type(VW), aligned(sizeof(REAL))));
typedef REAL ignet_realk __attribute__((ext_vector_type(VK), aligned(sizeof(REAL))));
#define LOADW(p) (*(__global const ignet_realw *)(p))
#define STOREW(v, p) (*(__global ignet_realw *)(p) = (v))
#define LOADK(p) (*(__global const ignet_realk *)(p))
#else
#define LOADW(p) CAT(vload, VW)(0, p)
#define STOREW(v, p) CAT(vstore, VW)(v, 0, p)
#define LOADK(p) CAT(vload, VK)(0, p)
#endif

/* The lower clip of log and reciprocal; the host passes ignet.backends.base.EPS. */
#ifndef IGNET_EPS_VALUE
#define IGNET_EPS_VALUE 1e-7
#endif
#define IGNET_EPS ((REAL)IGNET_EPS_VALUE)
