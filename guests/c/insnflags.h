/* Instruction forms of guests/c/insnflags.c, shared with its test so a
 * mismatch is reported by name. X(name, kind, AT&T template, flags
 * mask or D_* rule, operand width, input preparation); see insnflags.c. */
#define INSNFLAGS_FORMS(X) \
	X(add8, RR, "addb %b[s], %b[d]", F_ALL, 8, P_NONE) \
	X(add8_mr, MD, "addb %b[s], %[m]", F_ALL, 8, P_NONE) \
	X(add16, RR, "addw %w[s], %w[d]", F_ALL, 16, P_NONE) \
	X(add16_mr, MD, "addw %w[s], %[m]", F_ALL, 16, P_NONE) \
	X(add32, RR, "addl %k[s], %k[d]", F_ALL, 32, P_NONE) \
	X(add32_mr, MD, "addl %k[s], %[m]", F_ALL, 32, P_NONE) \
	X(add64, RR, "addq %q[s], %q[d]", F_ALL, 64, P_NONE) \
	X(add64_mr, MD, "addq %q[s], %[m]", F_ALL, 64, P_NONE) \
	X(add8_imm, R1, "addb $0x9c, %b[d]", F_ALL, 8, P_NONE) \
	X(add16_imm8, R1, "addw $-3, %w[d]", F_ALL, 16, P_NONE) \
	X(add32_imm, R1, "addl $0x80000001, %k[d]", F_ALL, 32, P_NONE) \
	X(add64_imm32, R1, "addq $-0x7ffffff0, %q[d]", F_ALL, 64, P_NONE) \
	X(add64_rm, RM, "addq %[m], %q[d]", F_ALL, 64, P_NONE) \
	X(adc8, RR, "adcb %b[s], %b[d]", F_ALL, 8, P_NONE) \
	X(adc8_mr, MD, "adcb %b[s], %[m]", F_ALL, 8, P_NONE) \
	X(adc16, RR, "adcw %w[s], %w[d]", F_ALL, 16, P_NONE) \
	X(adc16_mr, MD, "adcw %w[s], %[m]", F_ALL, 16, P_NONE) \
	X(adc32, RR, "adcl %k[s], %k[d]", F_ALL, 32, P_NONE) \
	X(adc32_mr, MD, "adcl %k[s], %[m]", F_ALL, 32, P_NONE) \
	X(adc64, RR, "adcq %q[s], %q[d]", F_ALL, 64, P_NONE) \
	X(adc64_mr, MD, "adcq %q[s], %[m]", F_ALL, 64, P_NONE) \
	X(adc8_imm, R1, "adcb $0x9c, %b[d]", F_ALL, 8, P_NONE) \
	X(adc16_imm8, R1, "adcw $-3, %w[d]", F_ALL, 16, P_NONE) \
	X(adc32_imm, R1, "adcl $0x80000001, %k[d]", F_ALL, 32, P_NONE) \
	X(adc64_imm32, R1, "adcq $-0x7ffffff0, %q[d]", F_ALL, 64, P_NONE) \
	X(adc64_rm, RM, "adcq %[m], %q[d]", F_ALL, 64, P_NONE) \
	X(sub8, RR, "subb %b[s], %b[d]", F_ALL, 8, P_NONE) \
	X(sub8_mr, MD, "subb %b[s], %[m]", F_ALL, 8, P_NONE) \
	X(sub16, RR, "subw %w[s], %w[d]", F_ALL, 16, P_NONE) \
	X(sub16_mr, MD, "subw %w[s], %[m]", F_ALL, 16, P_NONE) \
	X(sub32, RR, "subl %k[s], %k[d]", F_ALL, 32, P_NONE) \
	X(sub32_mr, MD, "subl %k[s], %[m]", F_ALL, 32, P_NONE) \
	X(sub64, RR, "subq %q[s], %q[d]", F_ALL, 64, P_NONE) \
	X(sub64_mr, MD, "subq %q[s], %[m]", F_ALL, 64, P_NONE) \
	X(sub8_imm, R1, "subb $0x9c, %b[d]", F_ALL, 8, P_NONE) \
	X(sub16_imm8, R1, "subw $-3, %w[d]", F_ALL, 16, P_NONE) \
	X(sub32_imm, R1, "subl $0x80000001, %k[d]", F_ALL, 32, P_NONE) \
	X(sub64_imm32, R1, "subq $-0x7ffffff0, %q[d]", F_ALL, 64, P_NONE) \
	X(sub64_rm, RM, "subq %[m], %q[d]", F_ALL, 64, P_NONE) \
	X(sbb8, RR, "sbbb %b[s], %b[d]", F_ALL, 8, P_NONE) \
	X(sbb8_mr, MD, "sbbb %b[s], %[m]", F_ALL, 8, P_NONE) \
	X(sbb16, RR, "sbbw %w[s], %w[d]", F_ALL, 16, P_NONE) \
	X(sbb16_mr, MD, "sbbw %w[s], %[m]", F_ALL, 16, P_NONE) \
	X(sbb32, RR, "sbbl %k[s], %k[d]", F_ALL, 32, P_NONE) \
	X(sbb32_mr, MD, "sbbl %k[s], %[m]", F_ALL, 32, P_NONE) \
	X(sbb64, RR, "sbbq %q[s], %q[d]", F_ALL, 64, P_NONE) \
	X(sbb64_mr, MD, "sbbq %q[s], %[m]", F_ALL, 64, P_NONE) \
	X(sbb8_imm, R1, "sbbb $0x9c, %b[d]", F_ALL, 8, P_NONE) \
	X(sbb16_imm8, R1, "sbbw $-3, %w[d]", F_ALL, 16, P_NONE) \
	X(sbb32_imm, R1, "sbbl $0x80000001, %k[d]", F_ALL, 32, P_NONE) \
	X(sbb64_imm32, R1, "sbbq $-0x7ffffff0, %q[d]", F_ALL, 64, P_NONE) \
	X(sbb64_rm, RM, "sbbq %[m], %q[d]", F_ALL, 64, P_NONE) \
	X(and8, RR, "andb %b[s], %b[d]", F_LOGIC, 8, P_NONE) \
	X(and8_mr, MD, "andb %b[s], %[m]", F_LOGIC, 8, P_NONE) \
	X(and16, RR, "andw %w[s], %w[d]", F_LOGIC, 16, P_NONE) \
	X(and16_mr, MD, "andw %w[s], %[m]", F_LOGIC, 16, P_NONE) \
	X(and32, RR, "andl %k[s], %k[d]", F_LOGIC, 32, P_NONE) \
	X(and32_mr, MD, "andl %k[s], %[m]", F_LOGIC, 32, P_NONE) \
	X(and64, RR, "andq %q[s], %q[d]", F_LOGIC, 64, P_NONE) \
	X(and64_mr, MD, "andq %q[s], %[m]", F_LOGIC, 64, P_NONE) \
	X(and8_imm, R1, "andb $0x9c, %b[d]", F_LOGIC, 8, P_NONE) \
	X(and16_imm8, R1, "andw $-3, %w[d]", F_LOGIC, 16, P_NONE) \
	X(and32_imm, R1, "andl $0x80000001, %k[d]", F_LOGIC, 32, P_NONE) \
	X(and64_imm32, R1, "andq $-0x7ffffff0, %q[d]", F_LOGIC, 64, P_NONE) \
	X(and64_rm, RM, "andq %[m], %q[d]", F_LOGIC, 64, P_NONE) \
	X(or8, RR, "orb %b[s], %b[d]", F_LOGIC, 8, P_NONE) \
	X(or8_mr, MD, "orb %b[s], %[m]", F_LOGIC, 8, P_NONE) \
	X(or16, RR, "orw %w[s], %w[d]", F_LOGIC, 16, P_NONE) \
	X(or16_mr, MD, "orw %w[s], %[m]", F_LOGIC, 16, P_NONE) \
	X(or32, RR, "orl %k[s], %k[d]", F_LOGIC, 32, P_NONE) \
	X(or32_mr, MD, "orl %k[s], %[m]", F_LOGIC, 32, P_NONE) \
	X(or64, RR, "orq %q[s], %q[d]", F_LOGIC, 64, P_NONE) \
	X(or64_mr, MD, "orq %q[s], %[m]", F_LOGIC, 64, P_NONE) \
	X(or8_imm, R1, "orb $0x9c, %b[d]", F_LOGIC, 8, P_NONE) \
	X(or16_imm8, R1, "orw $-3, %w[d]", F_LOGIC, 16, P_NONE) \
	X(or32_imm, R1, "orl $0x80000001, %k[d]", F_LOGIC, 32, P_NONE) \
	X(or64_imm32, R1, "orq $-0x7ffffff0, %q[d]", F_LOGIC, 64, P_NONE) \
	X(or64_rm, RM, "orq %[m], %q[d]", F_LOGIC, 64, P_NONE) \
	X(xor8, RR, "xorb %b[s], %b[d]", F_LOGIC, 8, P_NONE) \
	X(xor8_mr, MD, "xorb %b[s], %[m]", F_LOGIC, 8, P_NONE) \
	X(xor16, RR, "xorw %w[s], %w[d]", F_LOGIC, 16, P_NONE) \
	X(xor16_mr, MD, "xorw %w[s], %[m]", F_LOGIC, 16, P_NONE) \
	X(xor32, RR, "xorl %k[s], %k[d]", F_LOGIC, 32, P_NONE) \
	X(xor32_mr, MD, "xorl %k[s], %[m]", F_LOGIC, 32, P_NONE) \
	X(xor64, RR, "xorq %q[s], %q[d]", F_LOGIC, 64, P_NONE) \
	X(xor64_mr, MD, "xorq %q[s], %[m]", F_LOGIC, 64, P_NONE) \
	X(xor8_imm, R1, "xorb $0x9c, %b[d]", F_LOGIC, 8, P_NONE) \
	X(xor16_imm8, R1, "xorw $-3, %w[d]", F_LOGIC, 16, P_NONE) \
	X(xor32_imm, R1, "xorl $0x80000001, %k[d]", F_LOGIC, 32, P_NONE) \
	X(xor64_imm32, R1, "xorq $-0x7ffffff0, %q[d]", F_LOGIC, 64, P_NONE) \
	X(xor64_rm, RM, "xorq %[m], %q[d]", F_LOGIC, 64, P_NONE) \
	X(cmp8, RR, "cmpb %b[s], %b[d]", F_ALL, 8, P_NONE) \
	X(cmp8_mr, MD, "cmpb %b[s], %[m]", F_ALL, 8, P_NONE) \
	X(cmp16, RR, "cmpw %w[s], %w[d]", F_ALL, 16, P_NONE) \
	X(cmp16_mr, MD, "cmpw %w[s], %[m]", F_ALL, 16, P_NONE) \
	X(cmp32, RR, "cmpl %k[s], %k[d]", F_ALL, 32, P_NONE) \
	X(cmp32_mr, MD, "cmpl %k[s], %[m]", F_ALL, 32, P_NONE) \
	X(cmp64, RR, "cmpq %q[s], %q[d]", F_ALL, 64, P_NONE) \
	X(cmp64_mr, MD, "cmpq %q[s], %[m]", F_ALL, 64, P_NONE) \
	X(cmp8_imm, R1, "cmpb $0x9c, %b[d]", F_ALL, 8, P_NONE) \
	X(cmp16_imm8, R1, "cmpw $-3, %w[d]", F_ALL, 16, P_NONE) \
	X(cmp32_imm, R1, "cmpl $0x80000001, %k[d]", F_ALL, 32, P_NONE) \
	X(cmp64_imm32, R1, "cmpq $-0x7ffffff0, %q[d]", F_ALL, 64, P_NONE) \
	X(cmp64_rm, RM, "cmpq %[m], %q[d]", F_ALL, 64, P_NONE) \
	X(test8, RR, "testb %b[s], %b[d]", F_LOGIC, 8, P_NONE) \
	X(test8_mr, MD, "testb %b[s], %[m]", F_LOGIC, 8, P_NONE) \
	X(test16, RR, "testw %w[s], %w[d]", F_LOGIC, 16, P_NONE) \
	X(test16_mr, MD, "testw %w[s], %[m]", F_LOGIC, 16, P_NONE) \
	X(test32, RR, "testl %k[s], %k[d]", F_LOGIC, 32, P_NONE) \
	X(test32_mr, MD, "testl %k[s], %[m]", F_LOGIC, 32, P_NONE) \
	X(test64, RR, "testq %q[s], %q[d]", F_LOGIC, 64, P_NONE) \
	X(test64_mr, MD, "testq %q[s], %[m]", F_LOGIC, 64, P_NONE) \
	X(test32_imm, R1, "testl $0x80008001, %k[d]", F_LOGIC, 32, P_NONE) \
	X(add8_hi, Q, "addb %h[s], %h[d]", F_ALL, 8, P_NONE) \
	X(sub8_hilo, Q, "subb %h[s], %b[d]", F_ALL, 8, P_NONE) \
	X(xor8_lohi, Q, "xorb %b[s], %h[d]", F_LOGIC, 8, P_NONE) \
	X(mov8_hi, Q, "movb %h[s], %h[d]", F_ALL, 8, P_NONE) \
	X(inc8, R1, "incb %b[d]", F_ALL, 8, P_NONE) \
	X(inc8_m, M1, "incb %[m]", F_ALL, 8, P_NONE) \
	X(inc16, R1, "incw %w[d]", F_ALL, 16, P_NONE) \
	X(inc16_m, M1, "incw %[m]", F_ALL, 16, P_NONE) \
	X(inc32, R1, "incl %k[d]", F_ALL, 32, P_NONE) \
	X(inc32_m, M1, "incl %[m]", F_ALL, 32, P_NONE) \
	X(inc64, R1, "incq %q[d]", F_ALL, 64, P_NONE) \
	X(inc64_m, M1, "incq %[m]", F_ALL, 64, P_NONE) \
	X(dec8, R1, "decb %b[d]", F_ALL, 8, P_NONE) \
	X(dec8_m, M1, "decb %[m]", F_ALL, 8, P_NONE) \
	X(dec16, R1, "decw %w[d]", F_ALL, 16, P_NONE) \
	X(dec16_m, M1, "decw %[m]", F_ALL, 16, P_NONE) \
	X(dec32, R1, "decl %k[d]", F_ALL, 32, P_NONE) \
	X(dec32_m, M1, "decl %[m]", F_ALL, 32, P_NONE) \
	X(dec64, R1, "decq %q[d]", F_ALL, 64, P_NONE) \
	X(dec64_m, M1, "decq %[m]", F_ALL, 64, P_NONE) \
	X(neg8, R1, "negb %b[d]", F_ALL, 8, P_NONE) \
	X(neg8_m, M1, "negb %[m]", F_ALL, 8, P_NONE) \
	X(neg16, R1, "negw %w[d]", F_ALL, 16, P_NONE) \
	X(neg16_m, M1, "negw %[m]", F_ALL, 16, P_NONE) \
	X(neg32, R1, "negl %k[d]", F_ALL, 32, P_NONE) \
	X(neg32_m, M1, "negl %[m]", F_ALL, 32, P_NONE) \
	X(neg64, R1, "negq %q[d]", F_ALL, 64, P_NONE) \
	X(neg64_m, M1, "negq %[m]", F_ALL, 64, P_NONE) \
	X(not8, R1, "notb %b[d]", F_ALL, 8, P_NONE) \
	X(not8_m, M1, "notb %[m]", F_ALL, 8, P_NONE) \
	X(not16, R1, "notw %w[d]", F_ALL, 16, P_NONE) \
	X(not16_m, M1, "notw %[m]", F_ALL, 16, P_NONE) \
	X(not32, R1, "notl %k[d]", F_ALL, 32, P_NONE) \
	X(not32_m, M1, "notl %[m]", F_ALL, 32, P_NONE) \
	X(not64, R1, "notq %q[d]", F_ALL, 64, P_NONE) \
	X(not64_m, M1, "notq %[m]", F_ALL, 64, P_NONE) \
	X(shl8_1, R1, "shlb %b[d]", F_SHIFT1, 8, P_NONE) \
	X(shl8_3, R1, "shlb $3, %b[d]", F_SHIFTN, 8, P_NONE) \
	X(shl8_cl, RC, "shlb %%cl, %b[d]", D_SHL, 8, P_NONE) \
	X(shl16_1, R1, "shlw %w[d]", F_SHIFT1, 16, P_NONE) \
	X(shl16_3, R1, "shlw $3, %w[d]", F_SHIFTN, 16, P_NONE) \
	X(shl16_cl, RC, "shlw %%cl, %w[d]", D_SHL, 16, P_NONE) \
	X(shl32_1, R1, "shll %k[d]", F_SHIFT1, 32, P_NONE) \
	X(shl32_3, R1, "shll $3, %k[d]", F_SHIFTN, 32, P_NONE) \
	X(shl32_cl, RC, "shll %%cl, %k[d]", D_SHL, 32, P_NONE) \
	X(shl64_1, R1, "shlq %q[d]", F_SHIFT1, 64, P_NONE) \
	X(shl64_3, R1, "shlq $3, %q[d]", F_SHIFTN, 64, P_NONE) \
	X(shl64_cl, RC, "shlq %%cl, %q[d]", D_SHL, 64, P_NONE) \
	X(shl32_cl_m, MC, "shll %%cl, %[m]", D_SHL, 32, P_NONE) \
	X(shr8_1, R1, "shrb %b[d]", F_SHIFT1, 8, P_NONE) \
	X(shr8_3, R1, "shrb $3, %b[d]", F_SHIFTN, 8, P_NONE) \
	X(shr8_cl, RC, "shrb %%cl, %b[d]", D_SHL, 8, P_NONE) \
	X(shr16_1, R1, "shrw %w[d]", F_SHIFT1, 16, P_NONE) \
	X(shr16_3, R1, "shrw $3, %w[d]", F_SHIFTN, 16, P_NONE) \
	X(shr16_cl, RC, "shrw %%cl, %w[d]", D_SHL, 16, P_NONE) \
	X(shr32_1, R1, "shrl %k[d]", F_SHIFT1, 32, P_NONE) \
	X(shr32_3, R1, "shrl $3, %k[d]", F_SHIFTN, 32, P_NONE) \
	X(shr32_cl, RC, "shrl %%cl, %k[d]", D_SHL, 32, P_NONE) \
	X(shr64_1, R1, "shrq %q[d]", F_SHIFT1, 64, P_NONE) \
	X(shr64_3, R1, "shrq $3, %q[d]", F_SHIFTN, 64, P_NONE) \
	X(shr64_cl, RC, "shrq %%cl, %q[d]", D_SHL, 64, P_NONE) \
	X(shr32_cl_m, MC, "shrl %%cl, %[m]", D_SHL, 32, P_NONE) \
	X(sar8_1, R1, "sarb %b[d]", F_SHIFT1, 8, P_NONE) \
	X(sar8_3, R1, "sarb $3, %b[d]", F_SHIFTN, 8, P_NONE) \
	X(sar8_cl, RC, "sarb %%cl, %b[d]", D_SAR, 8, P_NONE) \
	X(sar16_1, R1, "sarw %w[d]", F_SHIFT1, 16, P_NONE) \
	X(sar16_3, R1, "sarw $3, %w[d]", F_SHIFTN, 16, P_NONE) \
	X(sar16_cl, RC, "sarw %%cl, %w[d]", D_SAR, 16, P_NONE) \
	X(sar32_1, R1, "sarl %k[d]", F_SHIFT1, 32, P_NONE) \
	X(sar32_3, R1, "sarl $3, %k[d]", F_SHIFTN, 32, P_NONE) \
	X(sar32_cl, RC, "sarl %%cl, %k[d]", D_SAR, 32, P_NONE) \
	X(sar64_1, R1, "sarq %q[d]", F_SHIFT1, 64, P_NONE) \
	X(sar64_3, R1, "sarq $3, %q[d]", F_SHIFTN, 64, P_NONE) \
	X(sar64_cl, RC, "sarq %%cl, %q[d]", D_SAR, 64, P_NONE) \
	X(sar32_cl_m, MC, "sarl %%cl, %[m]", D_SAR, 32, P_NONE) \
	X(rol8_1, R1, "rolb %b[d]", F_ALL, 8, P_NONE) \
	X(rol8_3, R1, "rolb $3, %b[d]", (F_ALL & ~F_OF), 8, P_NONE) \
	X(rol8_cl, RC, "rolb %%cl, %b[d]", D_ROT, 8, P_NONE) \
	X(rol16_1, R1, "rolw %w[d]", F_ALL, 16, P_NONE) \
	X(rol16_3, R1, "rolw $3, %w[d]", (F_ALL & ~F_OF), 16, P_NONE) \
	X(rol16_cl, RC, "rolw %%cl, %w[d]", D_ROT, 16, P_NONE) \
	X(rol32_1, R1, "roll %k[d]", F_ALL, 32, P_NONE) \
	X(rol32_3, R1, "roll $3, %k[d]", (F_ALL & ~F_OF), 32, P_NONE) \
	X(rol32_cl, RC, "roll %%cl, %k[d]", D_ROT, 32, P_NONE) \
	X(rol64_1, R1, "rolq %q[d]", F_ALL, 64, P_NONE) \
	X(rol64_3, R1, "rolq $3, %q[d]", (F_ALL & ~F_OF), 64, P_NONE) \
	X(rol64_cl, RC, "rolq %%cl, %q[d]", D_ROT, 64, P_NONE) \
	X(rol32_cl_m, MC, "roll %%cl, %[m]", D_ROT, 32, P_NONE) \
	X(ror8_1, R1, "rorb %b[d]", F_ALL, 8, P_NONE) \
	X(ror8_3, R1, "rorb $3, %b[d]", (F_ALL & ~F_OF), 8, P_NONE) \
	X(ror8_cl, RC, "rorb %%cl, %b[d]", D_ROT, 8, P_NONE) \
	X(ror16_1, R1, "rorw %w[d]", F_ALL, 16, P_NONE) \
	X(ror16_3, R1, "rorw $3, %w[d]", (F_ALL & ~F_OF), 16, P_NONE) \
	X(ror16_cl, RC, "rorw %%cl, %w[d]", D_ROT, 16, P_NONE) \
	X(ror32_1, R1, "rorl %k[d]", F_ALL, 32, P_NONE) \
	X(ror32_3, R1, "rorl $3, %k[d]", (F_ALL & ~F_OF), 32, P_NONE) \
	X(ror32_cl, RC, "rorl %%cl, %k[d]", D_ROT, 32, P_NONE) \
	X(ror64_1, R1, "rorq %q[d]", F_ALL, 64, P_NONE) \
	X(ror64_3, R1, "rorq $3, %q[d]", (F_ALL & ~F_OF), 64, P_NONE) \
	X(ror64_cl, RC, "rorq %%cl, %q[d]", D_ROT, 64, P_NONE) \
	X(ror32_cl_m, MC, "rorl %%cl, %[m]", D_ROT, 32, P_NONE) \
	X(rcl8_1, R1, "rclb %b[d]", F_ALL, 8, P_NONE) \
	X(rcl8_3, R1, "rclb $3, %b[d]", (F_ALL & ~F_OF), 8, P_NONE) \
	X(rcl8_cl, RC, "rclb %%cl, %b[d]", D_RC, 8, P_NONE) \
	X(rcl16_1, R1, "rclw %w[d]", F_ALL, 16, P_NONE) \
	X(rcl16_3, R1, "rclw $3, %w[d]", (F_ALL & ~F_OF), 16, P_NONE) \
	X(rcl16_cl, RC, "rclw %%cl, %w[d]", D_RC, 16, P_NONE) \
	X(rcl32_1, R1, "rcll %k[d]", F_ALL, 32, P_NONE) \
	X(rcl32_3, R1, "rcll $3, %k[d]", (F_ALL & ~F_OF), 32, P_NONE) \
	X(rcl32_cl, RC, "rcll %%cl, %k[d]", D_RC, 32, P_NONE) \
	X(rcl64_1, R1, "rclq %q[d]", F_ALL, 64, P_NONE) \
	X(rcl64_3, R1, "rclq $3, %q[d]", (F_ALL & ~F_OF), 64, P_NONE) \
	X(rcl64_cl, RC, "rclq %%cl, %q[d]", D_RC, 64, P_NONE) \
	X(rcl32_cl_m, MC, "rcll %%cl, %[m]", D_RC, 32, P_NONE) \
	X(rcr8_1, R1, "rcrb %b[d]", F_ALL, 8, P_NONE) \
	X(rcr8_3, R1, "rcrb $3, %b[d]", (F_ALL & ~F_OF), 8, P_NONE) \
	X(rcr8_cl, RC, "rcrb %%cl, %b[d]", D_RC, 8, P_NONE) \
	X(rcr16_1, R1, "rcrw %w[d]", F_ALL, 16, P_NONE) \
	X(rcr16_3, R1, "rcrw $3, %w[d]", (F_ALL & ~F_OF), 16, P_NONE) \
	X(rcr16_cl, RC, "rcrw %%cl, %w[d]", D_RC, 16, P_NONE) \
	X(rcr32_1, R1, "rcrl %k[d]", F_ALL, 32, P_NONE) \
	X(rcr32_3, R1, "rcrl $3, %k[d]", (F_ALL & ~F_OF), 32, P_NONE) \
	X(rcr32_cl, RC, "rcrl %%cl, %k[d]", D_RC, 32, P_NONE) \
	X(rcr64_1, R1, "rcrq %q[d]", F_ALL, 64, P_NONE) \
	X(rcr64_3, R1, "rcrq $3, %q[d]", (F_ALL & ~F_OF), 64, P_NONE) \
	X(rcr64_cl, RC, "rcrq %%cl, %q[d]", D_RC, 64, P_NONE) \
	X(rcr32_cl_m, MC, "rcrl %%cl, %[m]", D_RC, 32, P_NONE) \
	X(shld16_imm, RR, "shldw $5, %w[s], %w[d]", F_SHIFTN, 16, P_NONE) \
	X(shld16_cl, RRC, "shldw %%cl, %w[s], %w[d]", D_SHD, 16, P_NONE) \
	X(shld32_imm, RR, "shldl $5, %k[s], %k[d]", F_SHIFTN, 32, P_NONE) \
	X(shld32_cl, RRC, "shldl %%cl, %k[s], %k[d]", D_SHD, 32, P_NONE) \
	X(shld64_imm, RR, "shldq $5, %q[s], %q[d]", F_SHIFTN, 64, P_NONE) \
	X(shld64_cl, RRC, "shldq %%cl, %q[s], %q[d]", D_SHD, 64, P_NONE) \
	X(shld64_cl_m, MRC, "shldq %%cl, %q[s], %[m]", D_SHD, 64, P_NONE) \
	X(shrd16_imm, RR, "shrdw $5, %w[s], %w[d]", F_SHIFTN, 16, P_NONE) \
	X(shrd16_cl, RRC, "shrdw %%cl, %w[s], %w[d]", D_SHD, 16, P_NONE) \
	X(shrd32_imm, RR, "shrdl $5, %k[s], %k[d]", F_SHIFTN, 32, P_NONE) \
	X(shrd32_cl, RRC, "shrdl %%cl, %k[s], %k[d]", D_SHD, 32, P_NONE) \
	X(shrd64_imm, RR, "shrdq $5, %q[s], %q[d]", F_SHIFTN, 64, P_NONE) \
	X(shrd64_cl, RRC, "shrdq %%cl, %q[s], %q[d]", D_SHD, 64, P_NONE) \
	X(shrd64_cl_m, MRC, "shrdq %%cl, %q[s], %[m]", D_SHD, 64, P_NONE) \
	X(bt16, RR, "btw %w[s], %w[d]", F_BT, 16, P_NONE) \
	X(bt16_mem, BTM, "btw %w[s], %[m]", F_BT, 16, P_BTOFF) \
	X(bt32, RR, "btl %k[s], %k[d]", F_BT, 32, P_NONE) \
	X(bt32_mem, BTM, "btl %k[s], %[m]", F_BT, 32, P_BTOFF) \
	X(bt64, RR, "btq %q[s], %q[d]", F_BT, 64, P_NONE) \
	X(bt64_mem, BTM, "btq %q[s], %[m]", F_BT, 64, P_BTOFF) \
	X(bt32_imm, R1, "btl $45, %k[d]", F_BT, 32, P_NONE) \
	X(bt64_imm_m, M1, "btq $61, %[m]", F_BT, 64, P_NONE) \
	X(bts16, RR, "btsw %w[s], %w[d]", F_BT, 16, P_NONE) \
	X(bts16_mem, BTM, "btsw %w[s], %[m]", F_BT, 16, P_BTOFF) \
	X(bts32, RR, "btsl %k[s], %k[d]", F_BT, 32, P_NONE) \
	X(bts32_mem, BTM, "btsl %k[s], %[m]", F_BT, 32, P_BTOFF) \
	X(bts64, RR, "btsq %q[s], %q[d]", F_BT, 64, P_NONE) \
	X(bts64_mem, BTM, "btsq %q[s], %[m]", F_BT, 64, P_BTOFF) \
	X(bts32_imm, R1, "btsl $45, %k[d]", F_BT, 32, P_NONE) \
	X(bts64_imm_m, M1, "btsq $61, %[m]", F_BT, 64, P_NONE) \
	X(btr16, RR, "btrw %w[s], %w[d]", F_BT, 16, P_NONE) \
	X(btr16_mem, BTM, "btrw %w[s], %[m]", F_BT, 16, P_BTOFF) \
	X(btr32, RR, "btrl %k[s], %k[d]", F_BT, 32, P_NONE) \
	X(btr32_mem, BTM, "btrl %k[s], %[m]", F_BT, 32, P_BTOFF) \
	X(btr64, RR, "btrq %q[s], %q[d]", F_BT, 64, P_NONE) \
	X(btr64_mem, BTM, "btrq %q[s], %[m]", F_BT, 64, P_BTOFF) \
	X(btr32_imm, R1, "btrl $45, %k[d]", F_BT, 32, P_NONE) \
	X(btr64_imm_m, M1, "btrq $61, %[m]", F_BT, 64, P_NONE) \
	X(btc16, RR, "btcw %w[s], %w[d]", F_BT, 16, P_NONE) \
	X(btc16_mem, BTM, "btcw %w[s], %[m]", F_BT, 16, P_BTOFF) \
	X(btc32, RR, "btcl %k[s], %k[d]", F_BT, 32, P_NONE) \
	X(btc32_mem, BTM, "btcl %k[s], %[m]", F_BT, 32, P_BTOFF) \
	X(btc64, RR, "btcq %q[s], %q[d]", F_BT, 64, P_NONE) \
	X(btc64_mem, BTM, "btcq %q[s], %[m]", F_BT, 64, P_BTOFF) \
	X(btc32_imm, R1, "btcl $45, %k[d]", F_BT, 32, P_NONE) \
	X(btc64_imm_m, M1, "btcq $61, %[m]", F_BT, 64, P_NONE) \
	X(bsf16, RR, "bsfw %w[s], %w[d]", D_BSF, 16, P_NONE) \
	X(bsf32, RR, "bsfl %k[s], %k[d]", D_BSF, 32, P_NONE) \
	X(bsf64, RR, "bsfq %q[s], %q[d]", D_BSF, 64, P_NONE) \
	X(bsr16, RR, "bsrw %w[s], %w[d]", D_BSF, 16, P_NONE) \
	X(bsr32, RR, "bsrl %k[s], %k[d]", D_BSF, 32, P_NONE) \
	X(bsr64, RR, "bsrq %q[s], %q[d]", D_BSF, 64, P_NONE) \
	X(popcnt16, RR, "popcntw %w[s], %w[d]", F_ALL, 16, P_NONE) \
	X(popcnt32, RR, "popcntl %k[s], %k[d]", F_ALL, 32, P_NONE) \
	X(popcnt64, RR, "popcntq %q[s], %q[d]", F_ALL, 64, P_NONE) \
	X(lzcnt16, RR, "lzcntw %w[s], %w[d]", (F_CF | F_ZF), 16, P_NONE) \
	X(lzcnt32, RR, "lzcntl %k[s], %k[d]", (F_CF | F_ZF), 32, P_NONE) \
	X(lzcnt64, RR, "lzcntq %q[s], %q[d]", (F_CF | F_ZF), 64, P_NONE) \
	X(mul8, AX, "mulb %b[s]", F_MUL, 8, P_NONE) \
	X(mul16, AX, "mulw %w[s]", F_MUL, 16, P_NONE) \
	X(mul32, AX, "mull %k[s]", F_MUL, 32, P_NONE) \
	X(mul64, AX, "mulq %q[s]", F_MUL, 64, P_NONE) \
	X(imul8, AX, "imulb %b[s]", F_MUL, 8, P_NONE) \
	X(imul16, AX, "imulw %w[s]", F_MUL, 16, P_NONE) \
	X(imul32, AX, "imull %k[s]", F_MUL, 32, P_NONE) \
	X(imul64, AX, "imulq %q[s]", F_MUL, 64, P_NONE) \
	X(imul16_rr, RR, "imulw %w[s], %w[d]", F_MUL, 16, P_NONE) \
	X(imul16_imm, RR, "imulw $-7, %w[s], %w[d]", F_MUL, 16, P_NONE) \
	X(imul16_imm32, RR, "imulw $0x1234, %w[s], %w[d]", F_MUL, 16, P_NONE) \
	X(imul32_rr, RR, "imull %k[s], %k[d]", F_MUL, 32, P_NONE) \
	X(imul32_imm, RR, "imull $-7, %k[s], %k[d]", F_MUL, 32, P_NONE) \
	X(imul32_imm32, RR, "imull $0x1234, %k[s], %k[d]", F_MUL, 32, P_NONE) \
	X(imul64_rr, RR, "imulq %q[s], %q[d]", F_MUL, 64, P_NONE) \
	X(imul64_imm, RR, "imulq $-7, %q[s], %q[d]", F_MUL, 64, P_NONE) \
	X(imul64_imm32, RR, "imulq $0x1234, %q[s], %q[d]", F_MUL, 64, P_NONE) \
	X(div8, AX, "divb %b[s]", 0, 8, P_DIVU) \
	X(div16, AX, "divw %w[s]", 0, 16, P_DIVU) \
	X(div32, AX, "divl %k[s]", 0, 32, P_DIVU) \
	X(div64, AX, "divq %q[s]", 0, 64, P_DIVU) \
	X(idiv8, AX, "idivb %b[s]", 0, 8, P_DIVS) \
	X(idiv16, AX, "idivw %w[s]", 0, 16, P_DIVS) \
	X(idiv32, AX, "idivl %k[s]", 0, 32, P_DIVS) \
	X(idiv64, AX, "idivq %q[s]", 0, 64, P_DIVS) \
	X(seto, R1, "seto %b[d]", F_ALL, 8, P_NONE) \
	X(cmovo64, RR, "cmovoq %q[s], %q[d]", F_ALL, 64, P_NONE) \
	X(cmovo32, RR, "cmovol %k[s], %k[d]", F_ALL, 32, P_NONE) \
	X(setno, R1, "setno %b[d]", F_ALL, 8, P_NONE) \
	X(cmovno64, RR, "cmovnoq %q[s], %q[d]", F_ALL, 64, P_NONE) \
	X(cmovno32, RR, "cmovnol %k[s], %k[d]", F_ALL, 32, P_NONE) \
	X(setb, R1, "setb %b[d]", F_ALL, 8, P_NONE) \
	X(cmovb64, RR, "cmovbq %q[s], %q[d]", F_ALL, 64, P_NONE) \
	X(cmovb32, RR, "cmovbl %k[s], %k[d]", F_ALL, 32, P_NONE) \
	X(setae, R1, "setae %b[d]", F_ALL, 8, P_NONE) \
	X(cmovae64, RR, "cmovaeq %q[s], %q[d]", F_ALL, 64, P_NONE) \
	X(cmovae32, RR, "cmovael %k[s], %k[d]", F_ALL, 32, P_NONE) \
	X(sete, R1, "sete %b[d]", F_ALL, 8, P_NONE) \
	X(cmove64, RR, "cmoveq %q[s], %q[d]", F_ALL, 64, P_NONE) \
	X(cmove32, RR, "cmovel %k[s], %k[d]", F_ALL, 32, P_NONE) \
	X(setne, R1, "setne %b[d]", F_ALL, 8, P_NONE) \
	X(cmovne64, RR, "cmovneq %q[s], %q[d]", F_ALL, 64, P_NONE) \
	X(cmovne32, RR, "cmovnel %k[s], %k[d]", F_ALL, 32, P_NONE) \
	X(setbe, R1, "setbe %b[d]", F_ALL, 8, P_NONE) \
	X(cmovbe64, RR, "cmovbeq %q[s], %q[d]", F_ALL, 64, P_NONE) \
	X(cmovbe32, RR, "cmovbel %k[s], %k[d]", F_ALL, 32, P_NONE) \
	X(seta, R1, "seta %b[d]", F_ALL, 8, P_NONE) \
	X(cmova64, RR, "cmovaq %q[s], %q[d]", F_ALL, 64, P_NONE) \
	X(cmova32, RR, "cmoval %k[s], %k[d]", F_ALL, 32, P_NONE) \
	X(sets, R1, "sets %b[d]", F_ALL, 8, P_NONE) \
	X(cmovs64, RR, "cmovsq %q[s], %q[d]", F_ALL, 64, P_NONE) \
	X(cmovs32, RR, "cmovsl %k[s], %k[d]", F_ALL, 32, P_NONE) \
	X(setns, R1, "setns %b[d]", F_ALL, 8, P_NONE) \
	X(cmovns64, RR, "cmovnsq %q[s], %q[d]", F_ALL, 64, P_NONE) \
	X(cmovns32, RR, "cmovnsl %k[s], %k[d]", F_ALL, 32, P_NONE) \
	X(setp, R1, "setp %b[d]", F_ALL, 8, P_NONE) \
	X(cmovp64, RR, "cmovpq %q[s], %q[d]", F_ALL, 64, P_NONE) \
	X(cmovp32, RR, "cmovpl %k[s], %k[d]", F_ALL, 32, P_NONE) \
	X(setnp, R1, "setnp %b[d]", F_ALL, 8, P_NONE) \
	X(cmovnp64, RR, "cmovnpq %q[s], %q[d]", F_ALL, 64, P_NONE) \
	X(cmovnp32, RR, "cmovnpl %k[s], %k[d]", F_ALL, 32, P_NONE) \
	X(setl, R1, "setl %b[d]", F_ALL, 8, P_NONE) \
	X(cmovl64, RR, "cmovlq %q[s], %q[d]", F_ALL, 64, P_NONE) \
	X(cmovl32, RR, "cmovll %k[s], %k[d]", F_ALL, 32, P_NONE) \
	X(setge, R1, "setge %b[d]", F_ALL, 8, P_NONE) \
	X(cmovge64, RR, "cmovgeq %q[s], %q[d]", F_ALL, 64, P_NONE) \
	X(cmovge32, RR, "cmovgel %k[s], %k[d]", F_ALL, 32, P_NONE) \
	X(setle, R1, "setle %b[d]", F_ALL, 8, P_NONE) \
	X(cmovle64, RR, "cmovleq %q[s], %q[d]", F_ALL, 64, P_NONE) \
	X(cmovle32, RR, "cmovlel %k[s], %k[d]", F_ALL, 32, P_NONE) \
	X(setg, R1, "setg %b[d]", F_ALL, 8, P_NONE) \
	X(cmovg64, RR, "cmovgq %q[s], %q[d]", F_ALL, 64, P_NONE) \
	X(cmovg32, RR, "cmovgl %k[s], %k[d]", F_ALL, 32, P_NONE) \
	X(cmovl16, RR, "cmovlw %w[s], %w[d]", F_ALL, 16, P_NONE) \
	X(sete_m, M1, "sete %[m]", F_ALL, 8, P_NONE) \
	X(xadd8, RR2, "xaddb %b[s], %b[d]", F_ALL, 8, P_NONE) \
	X(cmpxchg8, CX, "cmpxchgb %b[s], %b[d]", F_ALL, 8, P_CMPX) \
	X(xchg8, RR2, "xchgb %b[s], %b[d]", F_ALL, 8, P_NONE) \
	X(xadd16, RR2, "xaddw %w[s], %w[d]", F_ALL, 16, P_NONE) \
	X(cmpxchg16, CX, "cmpxchgw %w[s], %w[d]", F_ALL, 16, P_CMPX) \
	X(xchg16, RR2, "xchgw %w[s], %w[d]", F_ALL, 16, P_NONE) \
	X(xadd32, RR2, "xaddl %k[s], %k[d]", F_ALL, 32, P_NONE) \
	X(cmpxchg32, CX, "cmpxchgl %k[s], %k[d]", F_ALL, 32, P_CMPX) \
	X(xchg32, RR2, "xchgl %k[s], %k[d]", F_ALL, 32, P_NONE) \
	X(xadd64, RR2, "xaddq %q[s], %q[d]", F_ALL, 64, P_NONE) \
	X(cmpxchg64, CX, "cmpxchgq %q[s], %q[d]", F_ALL, 64, P_CMPX) \
	X(xchg64, RR2, "xchgq %q[s], %q[d]", F_ALL, 64, P_NONE) \
	X(cmpxchg64_m, CXM, "lock cmpxchgq %q[s], %[m]", F_ALL, 64, P_CMPX) \
	X(xadd32_m, MD2, "lock xaddl %k[s], %[m]", F_ALL, 32, P_NONE) \
	X(cbw, AX, "cbtw", F_ALL, 64, P_NONE) \
	X(cwde, AX, "cwtl", F_ALL, 64, P_NONE) \
	X(cdqe, AX, "cltq", F_ALL, 64, P_NONE) \
	X(cwd, AX, "cwtd", F_ALL, 64, P_NONE) \
	X(cdq, AX, "cltd", F_ALL, 64, P_NONE) \
	X(cqo, AX, "cqto", F_ALL, 64, P_NONE) \
	X(lahf, AX, "lahf", F_ALL, 64, P_NONE) \
	X(sahf, AX, "sahf", F_ALL, 64, P_NONE) \
	X(cmc, AX, "cmc", F_ALL, 64, P_NONE) \
	X(clc, AX, "clc", F_ALL, 64, P_NONE) \
	X(stc, AX, "stc", F_ALL, 64, P_NONE) \
	X(movzbl, RR, "movzbl %b[s], %k[d]", F_ALL, 64, P_NONE) \
	X(movzbw, RR, "movzbw %b[s], %w[d]", F_ALL, 64, P_NONE) \
	X(movzwq, RR, "movzwq %w[s], %q[d]", F_ALL, 64, P_NONE) \
	X(movsbl, RR, "movsbl %b[s], %k[d]", F_ALL, 64, P_NONE) \
	X(movsbw, RR, "movsbw %b[s], %w[d]", F_ALL, 64, P_NONE) \
	X(movsbq, RR, "movsbq %b[s], %q[d]", F_ALL, 64, P_NONE) \
	X(movswl, RR, "movswl %w[s], %k[d]", F_ALL, 64, P_NONE) \
	X(movswq, RR, "movswq %w[s], %q[d]", F_ALL, 64, P_NONE) \
	X(movslq, RR, "movslq %k[s], %q[d]", F_ALL, 64, P_NONE) \
	X(bswap32, R1, "bswapl %k[d]", F_ALL, 64, P_NONE) \
	X(bswap64, R1, "bswapq %q[d]", F_ALL, 64, P_NONE) \
	X(mov8, RR, "movb %b[s], %b[d]", F_ALL, 64, P_NONE) \
	X(mov16, RR, "movw %w[s], %w[d]", F_ALL, 64, P_NONE) \
	X(mov32, RR, "movl %k[s], %k[d]", F_ALL, 64, P_NONE) \
	X(lea32, RR, "leal 7(%q[s],%q[d],4), %k[d]", F_ALL, 64, P_NONE) \
	X(lea16, RR, "leaw -3(%q[s],%q[d],2), %w[d]", F_ALL, 64, P_NONE) \
	/* end */
