package yuv

// row8SSE2 converts n groups of 8 pixels of one chroma-halved row to
// RGBA (yuv_amd64.s). The caller guarantees that dst holds 32n bytes, y
// 8n and cb, cr 4n each.
//
//go:noescape
func row8SSE2(dst, y, cb, cr *byte, n int)

// rowKernel is the vector kernel for rows of 4:2:0 and 4:2:2 frames: it
// converts the first 8*(len(cb)/4) pixels, and the caller does the rest.
// The fixed-point constants differ from the lookup tables' by less than
// one level (TestYUVKernelMatchesTables).
func rowKernel(dst, y, cb, cr []byte) int {
	n := min(len(y)/8, len(cb)/4, len(cr)/4, len(dst)/32)
	if n > 0 {
		row8SSE2(&dst[0], &y[0], &cb[0], &cr[0], n)
	}
	return 8 * n
}
