#include "textflag.h"

// func row8SSE2(dst, y, cb, cr *byte, n int)
//
// Converts n groups of 8 pixels of one 4:2:0/4:2:2 row (8 luma, 4 Cb and
// 4 Cr samples per group) to RGBA, BT.601 video range, in 16-bit fixed
// point with 6 fraction bits. PACKUSWB does the clamping. SSE2 only, the
// amd64 baseline. See yuv_amd64.go for the constants.
TEXT ·row8SSE2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ y+8(FP), SI
	MOVQ cb+16(FP), BX
	MOVQ cr+24(FP), DX
	MOVQ n+32(FP), CX
	TESTQ CX, CX
	JZ done

	// Broadcast the constants to 8 words each.
	MOVL $19073, AX // 74.5 * 256: 1.164 * 64, for luma<<8 (unsigned)
	MOVQ AX, X8
	PSHUFLW $0, X8, X8
	PUNPCKLQDQ X8, X8
	MOVL $1160, AX // 16 * 74.5 - 32 (the luma offset, less the rounding half)
	MOVQ AX, X9
	PSHUFLW $0, X9, X9
	PUNPCKLQDQ X9, X9
	MOVL $26148, AX // 1.596 * 64 * 256, Cr -> R
	MOVQ AX, X10
	PSHUFLW $0, X10, X10
	PUNPCKLQDQ X10, X10
	MOVL $6423, AX // 0.392 * 64 * 256, Cb -> G
	MOVQ AX, X11
	PSHUFLW $0, X11, X11
	PUNPCKLQDQ X11, X11
	MOVL $13320, AX // 0.813 * 64 * 256, Cr -> G
	MOVQ AX, X12
	PSHUFLW $0, X12, X12
	PUNPCKLQDQ X12, X12
	MOVL $16524, AX // 2.017 * 64 * 256 / 2, Cb -> B (applied twice)
	MOVQ AX, X13
	PSHUFLW $0, X13, X13
	PUNPCKLQDQ X13, X13
	MOVL $0x8000, AX // flips c<<8 to (c-128)<<8, signed
	MOVQ AX, X14
	PSHUFLW $0, X14, X14
	PUNPCKLQDQ X14, X14
	PCMPEQB X7, X7 // alpha: 0xff bytes
	PXOR X6, X6    // zero

loop:
	// Luma: words Y<<8, times 74.5/256 (unsigned high half), less the offset.
	MOVQ (SI), X0
	MOVO X6, X1
	PUNPCKLBW X0, X1
	PMULHUW X8, X1
	PSUBW X9, X1

	// Chroma: 4 samples each, doubled to 8, as signed (c-128)<<8 words.
	MOVL (BX), X2
	PUNPCKLBW X2, X2
	MOVO X6, X3
	PUNPCKLBW X2, X3
	PXOR X14, X3
	MOVL (DX), X2
	PUNPCKLBW X2, X2
	MOVO X6, X4
	PUNPCKLBW X2, X4
	PXOR X14, X4

	// R = y + 1.596 Cr
	MOVO X4, X0
	PMULHW X10, X0
	PADDSW X1, X0
	PSRAW $6, X0

	// G = y - 0.392 Cb - 0.813 Cr
	MOVO X3, X2
	PMULHW X11, X2
	MOVO X4, X5
	PMULHW X12, X5
	PADDW X5, X2
	MOVO X1, X5
	PSUBSW X2, X5
	PSRAW $6, X5

	// B = y + 2.017 Cb
	PMULHW X13, X3
	PADDSW X3, X3
	PADDSW X1, X3
	PSRAW $6, X3

	// Clamp to bytes and interleave R, G, B, A.
	PACKUSWB X0, X0
	PACKUSWB X5, X5
	PACKUSWB X3, X3
	PUNPCKLBW X5, X0
	PUNPCKLBW X7, X3
	MOVO X0, X2
	PUNPCKLWL X3, X0
	PUNPCKHWL X3, X2
	MOVOU X0, (DI)
	MOVOU X2, 16(DI)

	ADDQ $8, SI
	ADDQ $4, BX
	ADDQ $4, DX
	ADDQ $32, DI
	DECQ CX
	JNZ loop

done:
	RET
