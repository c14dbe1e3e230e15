;; normalize (u8 -> f32, x * scale + shift) in WebAssembly SIMD128: the CPU fast path of normalize/cpu.ts.
(module
  (import "env" "memory" (memory 1))

  ;; dst[i] = f32(src[i]) * scale + shift for i < n (u8 in, f32 out); reads up to 15 bytes and
  ;; writes up to 60 bytes past the end.
  (func (export "normalize") (param $src i32) (param $n i32) (param $dst i32) (param $scale f32) (param $shift f32)
    (local $end i32) (local $v v128) (local $lo v128) (local $hi v128) (local $s v128) (local $t v128)
    (local.set $end (i32.add (local.get $src) (local.get $n)))
    (local.set $s (f32x4.splat (local.get $scale)))
    (local.set $t (f32x4.splat (local.get $shift)))
    (block $done
      (loop $chunk
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $v (v128.load (local.get $src)))
        (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
        (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
        ;; mul then add, each rounded to f32, as the contract's reference does.
        (v128.store offset=0 (local.get $dst) (f32x4.add (f32x4.mul (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (local.get $lo))) (local.get $s)) (local.get $t)))
        (v128.store offset=16 (local.get $dst) (f32x4.add (f32x4.mul (f32x4.convert_i32x4_u (i32x4.extend_high_i16x8_u (local.get $lo))) (local.get $s)) (local.get $t)))
        (v128.store offset=32 (local.get $dst) (f32x4.add (f32x4.mul (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (local.get $hi))) (local.get $s)) (local.get $t)))
        (v128.store offset=48 (local.get $dst) (f32x4.add (f32x4.mul (f32x4.convert_i32x4_u (i32x4.extend_high_i16x8_u (local.get $hi))) (local.get $s)) (local.get $t)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
        (br $chunk))))
)
