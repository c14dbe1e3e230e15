;; CPU kernels in WebAssembly SIMD128: the dense layer (matmul with fused bias and ReLU), and the
;; fused MLP forward pass over a block of rows (dense or sparse first layer, labels and scores).
;;
;; The memory is imported. The MLP runner gives every thread one shared memory; wabt (as the
;; build runs it) cannot declare a shared memory, so the module declares a plain one with a
;; maximum and module.ts flips the import's limits flag to "shared" when it loads it.
;;
;; Packed weights ("panels"): a dense layer with n outputs and k inputs is stored as
;; ceil(n / 8) panels; panel p holds w[8p .. 8p+8, 0 .. k) transposed, [k][8] floats, so the
;; inner loop loads the 8 weights of one input with two v128 loads. Columns past n are zero,
;; and so is their bias: they compute 0 (or NaN when the input row has a NaN) and nobody
;; reads them, because the next layer's k is the true n.
(module
  (import "env" "memory" (memory 1 32768))

  ;; ReLU keeps NaN (the contract): f32x4.pmax(a, 0) is "a < 0 ? 0 : a", one maxps on x86
  ;; with the operands in the order that returns a when a is NaN (a < 0 is false), and -0
  ;; stays -0 (allowed). f32x4.max would keep NaN too, but V8 lowers it to a sequence of
  ;; several instructions to also order -0 below 0, which ReLU does not need.

  ;; Four rows by one panel (8 columns): y[r, 0..8) = act(b + sum_p x[r, p] * w[p, 0..8)).
  ;; x is one group of four rows interleaved ([k][4] floats), so the four broadcasts of a step
  ;; come from one 16-byte line through one pointer. Eight accumulators, two weight vectors and
  ;; the broadcasts fit the 15 xmm registers V8 hands out even when its scheduler hoists every
  ;; load of the step; unrolling k made it spill accumulators, so the loop does one step.
  ;; The result goes to y either interleaved (ilv = 1: column c of the group at y + 16 c, the
  ;; layout the next layer reads) or as rows (ilv = 0: row r at y + r * ldy).
  (func $tile4 (param $x i32) (param $k i32) (param $w i32) (param $b i32) (param $y i32) (param $ldy i32) (param $relu i32) (param $ilv i32)
    (local $end i32)
    (local $a0 v128) (local $a1 v128) (local $c0 v128) (local $c1 v128)
    (local $d0 v128) (local $d1 v128) (local $e0 v128) (local $e1 v128)
    (local $w0 v128) (local $w1 v128) (local $v v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $k) (i32.const 4))))
    (local.set $a0 (v128.load offset=0 (local.get $b)))
    (local.set $a1 (v128.load offset=16 (local.get $b)))
    (local.set $c0 (local.get $a0)) (local.set $c1 (local.get $a1))
    (local.set $d0 (local.get $a0)) (local.set $d1 (local.get $a1))
    (local.set $e0 (local.get $a0)) (local.set $e1 (local.get $a1))
    (if (local.get $k)
      (then
        (loop $step
          (local.set $w0 (v128.load offset=0 (local.get $w)))
          (local.set $w1 (v128.load offset=16 (local.get $w)))
          (local.set $v (v128.load32_splat offset=0 (local.get $x)))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $w0) (local.get $v))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $w1) (local.get $v))))
          (local.set $v (v128.load32_splat offset=4 (local.get $x)))
          (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $w0) (local.get $v))))
          (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $w1) (local.get $v))))
          (local.set $v (v128.load32_splat offset=8 (local.get $x)))
          (local.set $d0 (f32x4.add (local.get $d0) (f32x4.mul (local.get $w0) (local.get $v))))
          (local.set $d1 (f32x4.add (local.get $d1) (f32x4.mul (local.get $w1) (local.get $v))))
          (local.set $v (v128.load32_splat offset=12 (local.get $x)))
          (local.set $e0 (f32x4.add (local.get $e0) (f32x4.mul (local.get $w0) (local.get $v))))
          (local.set $e1 (f32x4.add (local.get $e1) (f32x4.mul (local.get $w1) (local.get $v))))
          (local.set $w (i32.add (local.get $w) (i32.const 32)))
          (local.set $x (i32.add (local.get $x) (i32.const 16)))
          (br_if $step (i32.lt_u (local.get $x) (local.get $end))))))
    (if (local.get $relu)
      (then
        (local.set $a0 (f32x4.pmax (local.get $a0) (v128.const f32x4 0 0 0 0)))
        (local.set $a1 (f32x4.pmax (local.get $a1) (v128.const f32x4 0 0 0 0)))
        (local.set $c0 (f32x4.pmax (local.get $c0) (v128.const f32x4 0 0 0 0)))
        (local.set $c1 (f32x4.pmax (local.get $c1) (v128.const f32x4 0 0 0 0)))
        (local.set $d0 (f32x4.pmax (local.get $d0) (v128.const f32x4 0 0 0 0)))
        (local.set $d1 (f32x4.pmax (local.get $d1) (v128.const f32x4 0 0 0 0)))
        (local.set $e0 (f32x4.pmax (local.get $e0) (v128.const f32x4 0 0 0 0)))
        (local.set $e1 (f32x4.pmax (local.get $e1) (v128.const f32x4 0 0 0 0)))))
    (if (local.get $ilv)
      (then
        (call $store4x4 (local.get $y) (local.get $a0) (local.get $c0) (local.get $d0) (local.get $e0))
        (call $store4x4 (i32.add (local.get $y) (i32.const 64)) (local.get $a1) (local.get $c1) (local.get $d1) (local.get $e1)))
      (else
        (v128.store offset=0 (local.get $y) (local.get $a0))
        (v128.store offset=16 (local.get $y) (local.get $a1))
        (local.set $y (i32.add (local.get $y) (local.get $ldy)))
        (v128.store offset=0 (local.get $y) (local.get $c0))
        (v128.store offset=16 (local.get $y) (local.get $c1))
        (local.set $y (i32.add (local.get $y) (local.get $ldy)))
        (v128.store offset=0 (local.get $y) (local.get $d0))
        (v128.store offset=16 (local.get $y) (local.get $d1))
        (local.set $y (i32.add (local.get $y) (local.get $ldy)))
        (v128.store offset=0 (local.get $y) (local.get $e0))
        (v128.store offset=16 (local.get $y) (local.get $e1)))))

  ;; Stores four row vectors (4 columns each) transposed: column c at y + 16 c.
  (func $store4x4 (param $y i32) (param $r0 v128) (param $r1 v128) (param $r2 v128) (param $r3 v128)
    (local $lo01 v128) (local $lo23 v128) (local $hi01 v128) (local $hi23 v128)
    (local.set $lo01 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
    (local.set $lo23 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
    (local.set $hi01 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
    (local.set $hi23 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
    (v128.store offset=0 (local.get $y) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $lo01) (local.get $lo23)))
    (v128.store offset=16 (local.get $y) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $lo01) (local.get $lo23)))
    (v128.store offset=32 (local.get $y) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $hi01) (local.get $hi23)))
    (v128.store offset=48 (local.get $y) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $hi01) (local.get $hi23))))

  ;; The dense layer y = act(x . w^T + b) over g groups of four rows: x interleaved, group i
  ;; at x + i * gx bytes ([k][4] floats); w packed in panels (see the top); b [n8]. Output
  ;; interleaved (ilv = 1: group i at y + i * ldy, [n8][4]) or as rows (ilv = 0: row r at
  ;; y + r * ldy, n8 floats). Panels outside, groups inside: one panel (k * 32 bytes) stays
  ;; in L1 while the groups stream past it.
  (func $dense (export "dense") (param $x i32) (param $gx i32) (param $g i32) (param $k i32) (param $w i32) (param $b i32) (param $n8 i32) (param $y i32) (param $ldy i32) (param $relu i32) (param $ilv i32)
    (local $j i32) (local $i i32) (local $panel i32) (local $xi i32) (local $yi i32) (local $ystep i32) (local $colstep i32)
    (local.set $panel (i32.shl (local.get $k) (i32.const 5)))
    ;; Where the next group's and the next panel's outputs start.
    (local.set $ystep (select (local.get $ldy) (i32.shl (local.get $ldy) (i32.const 2)) (local.get $ilv)))
    (local.set $colstep (select (i32.const 128) (i32.const 32) (local.get $ilv)))
    (block $pdone
      (loop $panels
        (br_if $pdone (i32.ge_u (local.get $j) (local.get $n8)))
        (local.set $i (i32.const 0))
        (local.set $xi (local.get $x))
        (local.set $yi (local.get $y))
        (block $gdone
          (loop $groups
            (br_if $gdone (i32.ge_u (local.get $i) (local.get $g)))
            (call $tile4 (local.get $xi) (local.get $k) (local.get $w) (local.get $b) (local.get $yi) (local.get $ldy) (local.get $relu) (local.get $ilv))
            (local.set $xi (i32.add (local.get $xi) (local.get $gx)))
            (local.set $yi (i32.add (local.get $yi) (local.get $ystep)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $groups)))
        (local.set $w (i32.add (local.get $w) (local.get $panel)))
        (local.set $b (i32.add (local.get $b) (i32.const 32)))
        (local.set $y (i32.add (local.get $y) (local.get $colstep)))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $panels))))

  ;; u8 rows to f32 groups of four interleaved rows (the layout $dense reads), x * scale + shift:
  ;; g groups of 4 rows of `in` bytes from src (row r at src + r * in) to dst (group i at
  ;; dst + i * in4 * 16, in4 = in rounded up to 4). Each step gathers 4 bytes of each of
  ;; the 4 rows, transposes the 4 x 4 bytes with one shuffle and widens them to 4 columns.
  ;; The last step of a row may read up to 3 bytes of the next row (or past the end: leave
  ;; slack) into columns >= in, which no layer reads.
  (func $normalize4 (export "normalize4") (param $src i32) (param $in i32) (param $g i32) (param $dst i32) (param $scale f32) (param $shift f32)
    (local $p i32) (local $r1 i32) (local $r2 i32) (local $r3 i32) (local $v v128) (local $lo v128) (local $hi v128)
    (local $s v128) (local $t v128) (local $o i32)
    (local.set $s (f32x4.splat (local.get $scale)))
    (local.set $t (f32x4.splat (local.get $shift)))
    (block $gdone
      (loop $groups
        (br_if $gdone (i32.eqz (local.get $g)))
        (local.set $r1 (i32.add (local.get $src) (local.get $in)))
        (local.set $r2 (i32.add (local.get $r1) (local.get $in)))
        (local.set $r3 (i32.add (local.get $r2) (local.get $in)))
        (local.set $p (i32.const 0))
        (local.set $o (local.get $dst))
        (block $pdone
          (loop $cols
            (br_if $pdone (i32.ge_u (local.get $p) (local.get $in)))
            (local.set $v (v128.load32_zero (i32.add (local.get $src) (local.get $p))))
            (local.set $v (v128.load32_lane 1 (i32.add (local.get $r1) (local.get $p)) (local.get $v)))
            (local.set $v (v128.load32_lane 2 (i32.add (local.get $r2) (local.get $p)) (local.get $v)))
            (local.set $v (v128.load32_lane 3 (i32.add (local.get $r3) (local.get $p)) (local.get $v)))
            (local.set $v (i8x16.shuffle 0 4 8 12 1 5 9 13 2 6 10 14 3 7 11 15 (local.get $v) (local.get $v)))
            (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
            (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
            (v128.store offset=0 (local.get $o) (f32x4.add (f32x4.mul (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (local.get $lo))) (local.get $s)) (local.get $t)))
            (v128.store offset=16 (local.get $o) (f32x4.add (f32x4.mul (f32x4.convert_i32x4_u (i32x4.extend_high_i16x8_u (local.get $lo))) (local.get $s)) (local.get $t)))
            (v128.store offset=32 (local.get $o) (f32x4.add (f32x4.mul (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (local.get $hi))) (local.get $s)) (local.get $t)))
            (v128.store offset=48 (local.get $o) (f32x4.add (f32x4.mul (f32x4.convert_i32x4_u (i32x4.extend_high_i16x8_u (local.get $hi))) (local.get $s)) (local.get $t)))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $o (i32.add (local.get $o) (i32.const 64)))
            (br $cols)))
        (local.set $src (i32.add (local.get $r3) (local.get $in)))
        (local.set $dst (local.get $o))
        (local.set $g (i32.sub (local.get $g) (i32.const 1)))
        (br $groups))))

  ;; Number of nonzero bytes in src[0, n), 16 at a time (reads up to 15 bytes past the end):
  ;; whether a chunk of images is sparse enough for the sparse first layer.
  (func $nonzero_bytes (param $src i32) (param $n i32) (result i32)
    (local $end i32) (local $m i32) (local $rem i32) (local $c i32)
    (local.set $end (i32.add (local.get $src) (local.get $n)))
    (block $done
      (loop $chunk
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $m (i8x16.bitmask (i8x16.ne (v128.load (local.get $src)) (v128.const i32x4 0 0 0 0))))
        (local.set $rem (i32.sub (local.get $end) (local.get $src)))
        (if (i32.lt_u (local.get $rem) (i32.const 16))
          (then (local.set $m (i32.and (local.get $m) (i32.sub (i32.shl (i32.const 1) (local.get $rem)) (i32.const 1))))))
        (local.set $c (i32.add (local.get $c) (i32.popcnt (local.get $m))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (br $chunk)))
    (local.get $c))

  ;; The sparse first layer, for images with many 0 bytes (most image datasets): with shift 0 a
  ;; 0 byte is an exact 0 input, so each row only visits its nonzero pixels. Row r's nonzeros
  ;; are listed at list + r * (8 * in + 8): an i32 count, a pad word, then (f32 value, i32
  ;; p * 128) pairs, the second the byte offset of input p's weights in a 32-column panel.
  ;; Branch-free (each byte is written, the cursor advances only past nonzeros), since half the
  ;; bytes being 0 in no pattern would mispredict every other branch. Returns the total count.
  (func $nonzeros (export "nonzeros") (param $src i32) (param $in i32) (param $rows i32) (param $list i32) (param $scale f32) (result i32)
    (local $p i32) (local $d i32) (local $b i32) (local $total i32) (local $row i32)
    (block $rdone
      (loop $rowl
        (br_if $rdone (i32.ge_u (local.get $row) (local.get $rows)))
        (local.set $d (i32.add (local.get $list) (i32.const 8)))
        (local.set $p (i32.const 0))
        (block $pdone
          (loop $px
            (br_if $pdone (i32.ge_u (local.get $p) (local.get $in)))
            (local.set $b (i32.load8_u (i32.add (local.get $src) (local.get $p))))
            (f32.store offset=0 (local.get $d) (f32.mul (f32.convert_i32_u (local.get $b)) (local.get $scale)))
            (i32.store offset=4 (local.get $d) (i32.shl (local.get $p) (i32.const 7)))
            (local.set $d (i32.add (local.get $d) (i32.shl (i32.ne (local.get $b) (i32.const 0)) (i32.const 3))))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $px)))
        (local.set $b (i32.shr_u (i32.sub (local.get $d) (i32.add (local.get $list) (i32.const 8))) (i32.const 3)))
        (i32.store (local.get $list) (local.get $b))
        (local.set $total (i32.add (local.get $total) (local.get $b)))
        (local.set $src (i32.add (local.get $src) (local.get $in)))
        (local.set $list (i32.add (local.get $list) (i32.add (i32.shl (local.get $in) (i32.const 3)) (i32.const 8))))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rowl)))
    (local.get $total))

  ;; One row by one 32-column panel over the row's nonzeros [l, end): eight
  ;; accumulators, eight weight loads and one broadcast per nonzero (the weights come from L2:
  ;; blocking the inputs so that they stay in L1 measured slower, the per-block overhead
  ;; costing more than it saved). Stores the 32 outputs into the interleaved layout the next
  ;; layer reads (column c at y + 16 c).
  (func $row32 (param $l i32) (param $end i32) (param $w i32) (param $b i32) (param $y i32) (param $relu i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local $v v128) (local $wa i32)
    (local.set $a0 (v128.load offset=0 (local.get $b)))
    (local.set $a1 (v128.load offset=16 (local.get $b)))
    (local.set $a2 (v128.load offset=32 (local.get $b)))
    (local.set $a3 (v128.load offset=48 (local.get $b)))
    (local.set $a4 (v128.load offset=64 (local.get $b)))
    (local.set $a5 (v128.load offset=80 (local.get $b)))
    (local.set $a6 (v128.load offset=96 (local.get $b)))
    (local.set $a7 (v128.load offset=112 (local.get $b)))
    (if (i32.lt_u (local.get $l) (local.get $end))
      (then
      (loop $step
        (local.set $v (v128.load32_splat (local.get $l)))
        (local.set $wa (i32.add (local.get $w) (i32.load offset=4 (local.get $l))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load offset=0 (local.get $wa)) (local.get $v))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=16 (local.get $wa)) (local.get $v))))
        (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load offset=32 (local.get $wa)) (local.get $v))))
        (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load offset=48 (local.get $wa)) (local.get $v))))
        (local.set $a4 (f32x4.add (local.get $a4) (f32x4.mul (v128.load offset=64 (local.get $wa)) (local.get $v))))
        (local.set $a5 (f32x4.add (local.get $a5) (f32x4.mul (v128.load offset=80 (local.get $wa)) (local.get $v))))
        (local.set $a6 (f32x4.add (local.get $a6) (f32x4.mul (v128.load offset=96 (local.get $wa)) (local.get $v))))
        (local.set $a7 (f32x4.add (local.get $a7) (f32x4.mul (v128.load offset=112 (local.get $wa)) (local.get $v))))
        (local.set $l (i32.add (local.get $l) (i32.const 8)))
        (br_if $step (i32.lt_u (local.get $l) (local.get $end))))))
    (call $scatter4 (local.get $y) (call $relu4 (local.get $a0) (local.get $relu)))
    (call $scatter4 (i32.add (local.get $y) (i32.const 64)) (call $relu4 (local.get $a1) (local.get $relu)))
    (call $scatter4 (i32.add (local.get $y) (i32.const 128)) (call $relu4 (local.get $a2) (local.get $relu)))
    (call $scatter4 (i32.add (local.get $y) (i32.const 192)) (call $relu4 (local.get $a3) (local.get $relu)))
    (call $scatter4 (i32.add (local.get $y) (i32.const 256)) (call $relu4 (local.get $a4) (local.get $relu)))
    (call $scatter4 (i32.add (local.get $y) (i32.const 320)) (call $relu4 (local.get $a5) (local.get $relu)))
    (call $scatter4 (i32.add (local.get $y) (i32.const 384)) (call $relu4 (local.get $a6) (local.get $relu)))
    (call $scatter4 (i32.add (local.get $y) (i32.const 448)) (call $relu4 (local.get $a7) (local.get $relu))))

  ;; ReLU (pmax, see $tile4) when relu is set.
  (func $relu4 (param $a v128) (param $relu i32) (result v128)
    (select (f32x4.pmax (local.get $a) (v128.const f32x4 0 0 0 0)) (local.get $a) (local.get $relu)))

  ;; Four consecutive columns of one row into the interleaved layout: column c at y + 16 c.
  (func $scatter4 (param $y i32) (param $v v128)
    (v128.store32_lane offset=0 0 (local.get $y) (local.get $v))
    (v128.store32_lane offset=16 1 (local.get $y) (local.get $v))
    (v128.store32_lane offset=32 2 (local.get $y) (local.get $v))
    (v128.store32_lane offset=48 3 (local.get $y) (local.get $v)))

  ;; The first layer from the nonzero lists (see $nonzeros) of `rows` rows: w in panels of 32
  ;; columns ([in][32] floats each, n32 columns in all), b [n32]; row r's outputs go to the
  ;; interleaved layout at y + (r / 4) * n32 * 16 + (r % 4) * 4. Panels outside, rows
  ;; inside, so a panel (in * 128 bytes) is read from L2 once per chunk of rows.
  (func $sparse_layer (param $list i32) (param $in i32) (param $rows i32) (param $w i32) (param $b i32) (param $n32 i32) (param $y i32) (param $relu i32)
    (local $j i32) (local $r i32) (local $l i32) (local $lstride i32) (local $gy i32)
    (local.set $lstride (i32.add (i32.shl (local.get $in) (i32.const 3)) (i32.const 8)))
    (local.set $gy (i32.shl (local.get $n32) (i32.const 4)))
    (block $pdone
      (loop $panels
        (br_if $pdone (i32.ge_u (local.get $j) (local.get $n32)))
        (local.set $r (i32.const 0))
        (local.set $l (local.get $list))
        (block $rdone
          (loop $rowl
            (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
            (call $row32 (i32.add (local.get $l) (i32.const 8))
              (i32.add (i32.add (local.get $l) (i32.const 8)) (i32.shl (i32.load (local.get $l)) (i32.const 3)))
              (local.get $w) (local.get $b)
              (i32.add (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 4)))
                (i32.add (i32.mul (i32.shr_u (local.get $r) (i32.const 2)) (local.get $gy)) (i32.shl (i32.and (local.get $r) (i32.const 3)) (i32.const 2))))
              (local.get $relu))
            (local.set $l (i32.add (local.get $l) (local.get $lstride)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $rowl)))
        (local.set $w (i32.add (local.get $w) (i32.shl (local.get $in) (i32.const 7))))
        (local.set $b (i32.add (local.get $b) (i32.const 128)))
        (local.set $j (i32.add (local.get $j) (i32.const 32)))
        (br $panels))))

  ;; Labels and scores of `rows` rows of the last layer's outputs (row i at y + i * ldy, n
  ;; floats): the label is the argmax under the argmax contract's order (NaN first, ties to the
  ;; lower column), which softmax keeps (it is monotonic; a row with a NaN is all NaN after
  ;; it, so its label is column 0); the score is the output there, or
  ;; with softmax its probability 1 / sum_j exp(y_j - max): NaN for a row with a NaN or of
  ;; only -inf, 1 / (number of +inf) where there are +inf, as the softmax contract says.
  (func $finish_rows (param $y i32) (param $ldy i32) (param $rows i32) (param $n i32) (param $softmax i32) (param $labels i32) (param $scores i32)
    (local $j i32) (local $bk i32) (local $bi i32) (local $k i32) (local $max f32) (local $sum f32) (local $v f32) (local $score f32)
    (block $rdone
      (loop $rowl
        (br_if $rdone (i32.eqz (local.get $rows)))
        (local.set $bk (call $key (f32.load (local.get $y))))
        (local.set $bi (i32.const 0))
        (local.set $j (i32.const 1))
        (block $adone
          (loop $argmax
            (br_if $adone (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $k (call $key (f32.load (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 2))))))
            (if (i32.gt_s (local.get $k) (local.get $bk)) (then (local.set $bk (local.get $k)) (local.set $bi (local.get $j))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $argmax)))
        (local.set $max (f32.load (i32.add (local.get $y) (i32.shl (local.get $bi) (i32.const 2)))))
        ;; With softmax a NaN makes every probability NaN, and the first of equal NaNs is column 0.
        (if (i32.and (local.get $softmax) (f32.ne (local.get $max) (local.get $max))) (then (local.set $bi (i32.const 0))))
        (local.set $score (local.get $max))
        (if (local.get $softmax)
          (then
            (local.set $sum (f32.const 0))
            (local.set $j (i32.const 0))
            (block $sdone
              (loop $terms
                (br_if $sdone (i32.ge_u (local.get $j) (local.get $n)))
                (local.set $v (f32.load (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 2)))))
                ;; +inf rows count their +inf entries (each then holds 1 / count).
                (local.set $sum (f32.add (local.get $sum)
                  (if (result f32) (f32.eq (local.get $max) (f32.const inf))
                    (then (f32.convert_i32_u (f32.eq (local.get $v) (f32.const inf))))
                    (else (call $exp (f32.sub (local.get $v) (local.get $max)))))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $terms)))
            ;; A NaN max gives NaN through the sum; an all -inf row gives exp(-inf - -inf) = NaN.
            (local.set $score (f32.div (f32.const 1) (local.get $sum)))))
        (i32.store (local.get $labels) (local.get $bi))
        (f32.store (local.get $scores) (local.get $score))
        (local.set $labels (i32.add (local.get $labels) (i32.const 4)))
        (local.set $scores (i32.add (local.get $scores) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (local.get $ldy)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $rowl))))

  ;; Order-preserving integer key of a float (as argmax.wat's $key1): -0 as 0, NaN above +inf.
  (func $key (param $v f32) (result i32)
    (local $b i32)
    (if (f32.ne (local.get $v) (local.get $v)) (then (return (i32.const 0x7fffffff))))
    (local.set $b (i32.reinterpret_f32 (f32.add (local.get $v) (f32.const 0))))
    (i32.xor (local.get $b) (i32.shr_u (i32.shr_s (local.get $b) (i32.const 31)) (i32.const 1))))

  ;; exp(x) for x <= 0 (NaN for NaN), to about 1 ulp: x = n ln2 + r with |r| <= ln2 / 2, e^r by
  ;; Cephes' expf polynomial, times 2^n built in the exponent bits. Below -87.3 it is 0 (an
  ;; f32 denormal at most, irrelevant to a softmax denominator that holds a 1).
  (func $exp (param $x f32) (result f32)
    (local $n f32) (local $r f32) (local $z f32)
    (if (f32.lt (local.get $x) (f32.const -87.3)) (then (return (f32.const 0))))
    (local.set $n (f32.nearest (f32.mul (local.get $x) (f32.const 1.44269504088896341))))
    (local.set $r (f32.sub (f32.sub (local.get $x) (f32.mul (local.get $n) (f32.const 0.693359375))) (f32.mul (local.get $n) (f32.const -2.12194440e-4))))
    (local.set $z (f32.mul (local.get $r) (local.get $r)))
    (f32.mul
      (f32.add (f32.add (f32.mul
        (f32.add (f32.mul (f32.add (f32.mul (f32.add (f32.mul (f32.add (f32.mul (f32.add (f32.mul
          (f32.const 1.9875691500e-4) (local.get $r)) (f32.const 1.3981999507e-3)) (local.get $r)) (f32.const 8.3334519073e-3)) (local.get $r))
          (f32.const 4.1665795894e-2)) (local.get $r)) (f32.const 1.6666665459e-1)) (local.get $r)) (f32.const 5.0000001201e-1))
        (local.get $z)) (local.get $r)) (f32.const 1))
      (f32.reinterpret_i32 (i32.shl (i32.add (i32.trunc_sat_f32_s (local.get $n)) (i32.const 127)) (i32.const 23)))))

  ;; The MLP forward pass over rows [row0, row0 + rows) (row0 a multiple of 4) of the images at
  ;; `images`, for the model described at `model` (see mlp/cpu.ts): i32 layers, i32 in, f32
  ;; scale, f32 shift, then for the sparse first layer i32 w32, b32, n32 (0: none) and the
  ;; density limit (nonzeros per 1024 bytes) above which the dense path is faster, then i32
  ;; classes and softmax (0 or 1); at +48 per layer i32 w, b, k, n8, relu. Rows are taken in
  ;; groups of four, so up to 3 rows past the end are read (images) and written (out): callers
  ;; pad both. Activations alternate between the scratch buffers s0 and s1 (s2 holds the
  ;; nonzero lists: rows * (8 * in + 8) bytes); the last layer writes its outputs (n8 floats
  ;; per row) to out + row * ldo, and each row's label and score go to labels and scores.
  (func (export "forward") (param $model i32) (param $images i32) (param $row0 i32) (param $rows i32) (param $s0 i32) (param $s1 i32) (param $s2 i32) (param $out i32) (param $ldo i32) (param $labels i32) (param $scores i32)
    (local $layers i32) (local $in i32) (local $g i32) (local $l i32) (local $d i32)
    (local $x i32) (local $gx i32) (local $y i32) (local $n8 i32) (local $t i32) (local $src i32) (local $n32 i32)
    (local.set $layers (i32.load offset=0 (local.get $model)))
    (local.set $in (i32.load offset=4 (local.get $model)))
    (local.set $g (i32.shr_u (i32.add (local.get $rows) (i32.const 3)) (i32.const 2)))
    (local.set $src (i32.add (local.get $images) (i32.mul (local.get $row0) (local.get $in))))
    (local.set $n32 (i32.load offset=24 (local.get $model)))
    (local.set $d (i32.add (local.get $model) (i32.const 48)))
    (local.set $x (local.get $s0))
    (local.set $y (local.get $s1))
    (if (local.get $n32)
      (then
        (if (i32.le_u
              (i32.shl (call $nonzero_bytes (local.get $src) (i32.mul (local.get $rows) (local.get $in))) (i32.const 10))
              (i32.mul (i32.load offset=28 (local.get $model)) (i32.mul (local.get $rows) (local.get $in))))
          (then
            (drop (call $nonzeros (local.get $src) (local.get $in) (local.get $rows) (local.get $s2) (f32.load offset=8 (local.get $model))))
            (call $sparse_layer (local.get $s2) (local.get $in) (local.get $rows)
              (i32.load offset=16 (local.get $model)) (i32.load offset=20 (local.get $model)) (local.get $n32)
              (local.get $s0) (i32.load offset=16 (local.get $d)))
            (local.set $gx (i32.shl (local.get $n32) (i32.const 4)))
            (local.set $d (i32.add (local.get $d) (i32.const 20)))
            (local.set $l (i32.const 1))))))
    (if (i32.eqz (local.get $l))
      (then
        (call $normalize4 (local.get $src) (local.get $in) (local.get $g) (local.get $s0)
          (f32.load offset=8 (local.get $model)) (f32.load offset=12 (local.get $model)))
        (local.set $gx (i32.shl (i32.and (i32.add (local.get $in) (i32.const 3)) (i32.const -4)) (i32.const 4)))))
    (block $done
      (loop $layer
        (br_if $done (i32.ge_u (local.get $l) (local.get $layers)))
        (local.set $n8 (i32.load offset=12 (local.get $d)))
        (if (i32.eq (local.get $l) (i32.sub (local.get $layers) (i32.const 1)))
          (then
            (call $dense (local.get $x) (local.get $gx) (local.get $g) (i32.load offset=8 (local.get $d))
              (i32.load offset=0 (local.get $d)) (i32.load offset=4 (local.get $d)) (local.get $n8)
              (i32.add (local.get $out) (i32.mul (local.get $row0) (local.get $ldo))) (local.get $ldo)
              (i32.load offset=16 (local.get $d)) (i32.const 0))
            (br $done)))
        (call $dense (local.get $x) (local.get $gx) (local.get $g) (i32.load offset=8 (local.get $d))
          (i32.load offset=0 (local.get $d)) (i32.load offset=4 (local.get $d)) (local.get $n8)
          (local.get $y) (i32.shl (local.get $n8) (i32.const 4))
          (i32.load offset=16 (local.get $d)) (i32.const 1))
        (local.set $t (local.get $x))
        (local.set $x (local.get $y))
        (local.set $gx (i32.shl (local.get $n8) (i32.const 4)))
        (local.set $y (local.get $t))
        (local.set $d (i32.add (local.get $d) (i32.const 20)))
        (local.set $l (i32.add (local.get $l) (i32.const 1)))
        (br $layer)))
    (call $finish_rows (i32.add (local.get $out) (i32.mul (local.get $row0) (local.get $ldo))) (local.get $ldo) (local.get $rows)
      (i32.load offset=32 (local.get $model)) (i32.load offset=36 (local.get $model))
      (i32.add (local.get $labels) (i32.shl (local.get $row0) (i32.const 2)))
      (i32.add (local.get $scores) (i32.shl (local.get $row0) (i32.const 2)))))
  ;; ---- CNN kernels (conv2d, pool2d, the program runner's gemm) over NCHW planes ----
  ;;
  ;; A convolution runs "direct": its input is first laid out so that every tap (ci, ky, kx)
  ;; of every output pixel is a fixed byte offset from the pixel's base (see $pad_planes: zero
  ;; padding, and for a column stride s the columns split into s phases, so that output
  ;; columns ox, ox + 1, ... read consecutive floats). Then an output row is a sum over taps
  ;; of (weight x a shifted run of input), 8 output pixels at a time. A row tail narrower
  ;; than 8 is computed by the last block shifted left to end at the row's end: it recomputes
  ;; a few pixels with the same values, so rows need ow >= 8 (callers check).
  ;;
  ;; Activations are min(max(v, lo), hi) with pmax/pmin, which keep NaN (see $tile4's note):
  ;; none is (-inf, inf), ReLU (0, inf), clip (min, max).

  ;; A convolution's m output channels (one group of one sample) as blocks of 4 channels x 8
  ;; pixels: y[r][0..8) = clip(b[r] + sum_t w[t][r] * x[taps[t] ..+8]). Block j's weights at
  ;; w + j * 16 k ([k][4] floats, channels past m zero), bias at b + 16 j; taps holds k i32
  ;; byte offsets from a pixel's base. Output channel c's row oy at y + c * yplane + oy * yrow,
  ;; output row oy's input base at x + oy * xrow; rows of ow >= 8. The tile is written out
  ;; here rather than called: V8 does not inline it, and a call per tile cost a fifth of a
  ;; 3x3 conv on one channel.
  (func (export "conv") (param $x i32) (param $xrow i32) (param $taps i32) (param $k i32) (param $w i32) (param $b i32) (param $m i32)
      (param $y i32) (param $yplane i32) (param $yrow i32) (param $oh i32) (param $ow i32) (param $lo f32) (param $hi f32)
    (local $tend i32) (local $oy i32) (local $ox i32) (local $xr i32) (local $yr i32) (local $lov v128) (local $hiv v128)
    (local $t i32) (local $wt i32) (local $px i32) (local $p i32) (local $yt i32)
    (local $a0 v128) (local $a1 v128) (local $c0 v128) (local $c1 v128)
    (local $d0 v128) (local $d1 v128) (local $e0 v128) (local $e1 v128)
    (local $x0 v128) (local $x1 v128) (local $v v128)
    (local.set $lov (f32x4.splat (local.get $lo)))
    (local.set $hiv (f32x4.splat (local.get $hi)))
    (local.set $tend (i32.add (local.get $taps) (i32.shl (local.get $k) (i32.const 2))))
    (block $mdone
      (loop $blocks
        (br_if $mdone (i32.le_s (local.get $m) (i32.const 0)))
        (local.set $oy (i32.const 0))
        (local.set $xr (local.get $x))
        (local.set $yr (local.get $y))
        (loop $rows
          (local.set $ox (i32.const 0))
          (loop $cols
            (if (i32.gt_u (i32.add (local.get $ox) (i32.const 8)) (local.get $ow))
              (then (local.set $ox (i32.sub (local.get $ow) (i32.const 8)))))
            (local.set $px (i32.add (local.get $xr) (i32.shl (local.get $ox) (i32.const 2))))
            (local.set $a0 (v128.load32_splat offset=0 (local.get $b)))
            (local.set $c0 (v128.load32_splat offset=4 (local.get $b)))
            (local.set $d0 (v128.load32_splat offset=8 (local.get $b)))
            (local.set $e0 (v128.load32_splat offset=12 (local.get $b)))
            (local.set $a1 (local.get $a0)) (local.set $c1 (local.get $c0))
            (local.set $d1 (local.get $d0)) (local.set $e1 (local.get $e0))
            (local.set $t (local.get $taps))
            (local.set $wt (local.get $w))
            (loop $step
              (local.set $p (i32.add (local.get $px) (i32.load (local.get $t))))
              (local.set $x0 (v128.load offset=0 (local.get $p)))
              (local.set $x1 (v128.load offset=16 (local.get $p)))
              (local.set $v (v128.load32_splat offset=0 (local.get $wt)))
              (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $x0) (local.get $v))))
              (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $x1) (local.get $v))))
              (local.set $v (v128.load32_splat offset=4 (local.get $wt)))
              (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $x0) (local.get $v))))
              (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $x1) (local.get $v))))
              (local.set $v (v128.load32_splat offset=8 (local.get $wt)))
              (local.set $d0 (f32x4.add (local.get $d0) (f32x4.mul (local.get $x0) (local.get $v))))
              (local.set $d1 (f32x4.add (local.get $d1) (f32x4.mul (local.get $x1) (local.get $v))))
              (local.set $v (v128.load32_splat offset=12 (local.get $wt)))
              (local.set $e0 (f32x4.add (local.get $e0) (f32x4.mul (local.get $x0) (local.get $v))))
              (local.set $e1 (f32x4.add (local.get $e1) (f32x4.mul (local.get $x1) (local.get $v))))
              (local.set $wt (i32.add (local.get $wt) (i32.const 16)))
              (local.set $t (i32.add (local.get $t) (i32.const 4)))
              (br_if $step (i32.lt_u (local.get $t) (local.get $tend))))
            (local.set $yt (i32.add (local.get $yr) (i32.shl (local.get $ox) (i32.const 2))))
            (v128.store offset=0 (local.get $yt) (f32x4.pmin (f32x4.pmax (local.get $a0) (local.get $lov)) (local.get $hiv)))
            (v128.store offset=16 (local.get $yt) (f32x4.pmin (f32x4.pmax (local.get $a1) (local.get $lov)) (local.get $hiv)))
            (block $stored
              (br_if $stored (i32.lt_s (local.get $m) (i32.const 2)))
              (local.set $yt (i32.add (local.get $yt) (local.get $yplane)))
              (v128.store offset=0 (local.get $yt) (f32x4.pmin (f32x4.pmax (local.get $c0) (local.get $lov)) (local.get $hiv)))
              (v128.store offset=16 (local.get $yt) (f32x4.pmin (f32x4.pmax (local.get $c1) (local.get $lov)) (local.get $hiv)))
              (br_if $stored (i32.lt_s (local.get $m) (i32.const 3)))
              (local.set $yt (i32.add (local.get $yt) (local.get $yplane)))
              (v128.store offset=0 (local.get $yt) (f32x4.pmin (f32x4.pmax (local.get $d0) (local.get $lov)) (local.get $hiv)))
              (v128.store offset=16 (local.get $yt) (f32x4.pmin (f32x4.pmax (local.get $d1) (local.get $lov)) (local.get $hiv)))
              (br_if $stored (i32.lt_s (local.get $m) (i32.const 4)))
              (local.set $yt (i32.add (local.get $yt) (local.get $yplane)))
              (v128.store offset=0 (local.get $yt) (f32x4.pmin (f32x4.pmax (local.get $e0) (local.get $lov)) (local.get $hiv)))
              (v128.store offset=16 (local.get $yt) (f32x4.pmin (f32x4.pmax (local.get $e1) (local.get $lov)) (local.get $hiv))))
            (local.set $ox (i32.add (local.get $ox) (i32.const 8)))
            (br_if $cols (i32.lt_u (local.get $ox) (local.get $ow))))
          (local.set $xr (i32.add (local.get $xr) (local.get $xrow)))
          (local.set $yr (i32.add (local.get $yr) (local.get $yrow)))
          (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
          (br_if $rows (i32.lt_u (local.get $oy) (local.get $oh))))
        (local.set $w (i32.add (local.get $w) (i32.shl (local.get $k) (i32.const 4))))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.shl (local.get $yplane) (i32.const 2))))
        (local.set $m (i32.sub (local.get $m) (i32.const 4)))
        (br $blocks))))

  ;; Depthwise: c planes, plane ch's input at x + ch * xplane (laid out as for conv), its k
  ;; taps' weights at w + ch * 4 k and bias at b + 4 ch; output plane ch at y + ch * yplane.
  ;; 8 pixels per step, two accumulators.
  (func (export "depthwise") (param $x i32) (param $xplane i32) (param $xrow i32) (param $taps i32) (param $k i32) (param $w i32) (param $b i32) (param $c i32)
      (param $y i32) (param $yplane i32) (param $yrow i32) (param $oh i32) (param $ow i32) (param $lo f32) (param $hi f32)
    (local $tend i32) (local $oy i32) (local $ox i32) (local $xr i32) (local $yr i32) (local $lov v128) (local $hiv v128)
    (local $t i32) (local $wt i32) (local $p i32) (local $a0 v128) (local $a1 v128) (local $v v128) (local $bias v128)
    (local.set $lov (f32x4.splat (local.get $lo)))
    (local.set $hiv (f32x4.splat (local.get $hi)))
    (local.set $tend (i32.add (local.get $taps) (i32.shl (local.get $k) (i32.const 2))))
    (block $cdone
      (loop $planes
        (br_if $cdone (i32.eqz (local.get $c)))
        (local.set $bias (v128.load32_splat (local.get $b)))
        (local.set $oy (i32.const 0))
        (local.set $xr (local.get $x))
        (local.set $yr (local.get $y))
        (loop $rows
          (local.set $ox (i32.const 0))
          (loop $cols
            (if (i32.gt_u (i32.add (local.get $ox) (i32.const 8)) (local.get $ow))
              (then (local.set $ox (i32.sub (local.get $ow) (i32.const 8)))))
            (local.set $a0 (local.get $bias))
            (local.set $a1 (local.get $bias))
            (local.set $t (local.get $taps))
            (local.set $wt (local.get $w))
            (local.set $p (i32.add (local.get $xr) (i32.shl (local.get $ox) (i32.const 2))))
            (loop $step
              (local.set $v (v128.load32_splat (local.get $wt)))
              (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load offset=0 (i32.add (local.get $p) (i32.load (local.get $t)))) (local.get $v))))
              (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=16 (i32.add (local.get $p) (i32.load (local.get $t)))) (local.get $v))))
              (local.set $wt (i32.add (local.get $wt) (i32.const 4)))
              (local.set $t (i32.add (local.get $t) (i32.const 4)))
              (br_if $step (i32.lt_u (local.get $t) (local.get $tend))))
            (local.set $p (i32.add (local.get $yr) (i32.shl (local.get $ox) (i32.const 2))))
            (v128.store offset=0 (local.get $p) (f32x4.pmin (f32x4.pmax (local.get $a0) (local.get $lov)) (local.get $hiv)))
            (v128.store offset=16 (local.get $p) (f32x4.pmin (f32x4.pmax (local.get $a1) (local.get $lov)) (local.get $hiv)))
            (local.set $ox (i32.add (local.get $ox) (i32.const 8)))
            (br_if $cols (i32.lt_u (local.get $ox) (local.get $ow))))
          (local.set $xr (i32.add (local.get $xr) (local.get $xrow)))
          (local.set $yr (i32.add (local.get $yr) (local.get $yrow)))
          (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
          (br_if $rows (i32.lt_u (local.get $oy) (local.get $oh))))
        (local.set $x (i32.add (local.get $x) (local.get $xplane)))
        (local.set $y (i32.add (local.get $y) (local.get $yplane)))
        (local.set $w (i32.add (local.get $w) (i32.shl (local.get $k) (i32.const 2))))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))
        (local.set $c (i32.sub (local.get $c) (i32.const 1)))
        (br $planes))))

  ;; Zero padding and column phases for the direct convolutions: `planes` planes of h x w
  ;; floats (plane i at src + i * h * w * 4) to planes of hp rows (plane i at dst + i *
  ;; dplane), row r at r * drow, holding padded row r - pt of width wp with padded column c
  ;; at phase c % s, index c / s (phase p starts at p * wq floats). Every float of
  ;; [0, hp * drow) of each plane is written.
  (func (export "pad_planes") (param $src i32) (param $planes i32) (param $h i32) (param $w i32) (param $dst i32) (param $dplane i32)
      (param $pt i32) (param $pl i32) (param $hp i32) (param $wp i32) (param $s i32) (param $wq i32) (param $drow i32)
    (local $r i32) (local $iy i32) (local $c i32) (local $ix i32) (local $row i32) (local $srow i32) (local $right i32) (local $ph i32) (local $q i32)
    (block $pdone
      (loop $plane
        (br_if $pdone (i32.eqz (local.get $planes)))
        (local.set $r (i32.const 0))
        (local.set $row (local.get $dst))
        (block $rdone
          (loop $rows
            (br_if $rdone (i32.ge_u (local.get $r) (local.get $hp)))
            (local.set $iy (i32.sub (local.get $r) (local.get $pt)))
            (if (i32.or (i32.lt_s (local.get $iy) (i32.const 0)) (i32.ge_s (local.get $iy) (local.get $h)))
              (then
                (local.set $c (i32.const 0))
                (block $zr (loop $zrow
                  (br_if $zr (i32.ge_s (local.get $c) (local.get $drow)))
                  (v128.store (i32.add (local.get $row) (local.get $c)) (v128.const i32x4 0 0 0 0))
                  (local.set $c (i32.add (local.get $c) (i32.const 16)))
                  (br $zrow))))
              (else
                (local.set $srow (i32.add (local.get $src) (i32.shl (i32.mul (local.get $iy) (local.get $w)) (i32.const 2))))
                (if (i32.eq (local.get $s) (i32.const 1))
                  (then
                    ;; Columns [pl, pl + w) clipped to wp: the floor of the output size may leave input columns unread.
                    ;; Vector stores run up to 12 bytes past each part; the parts are written left to right and the
                    ;; rows in order, so what runs over is rewritten (the last row's run-over lands in the caller's slack).
                    (local.set $ix (select (local.get $w) (i32.sub (local.get $wp) (local.get $pl)) (i32.lt_s (i32.add (local.get $pl) (local.get $w)) (local.get $wp))))
                    (local.set $c (i32.const 0))
                    (block $zl (loop $zloop
                      (br_if $zl (i32.ge_s (local.get $c) (i32.shl (local.get $pl) (i32.const 2))))
                      (v128.store (i32.add (local.get $row) (local.get $c)) (v128.const i32x4 0 0 0 0))
                      (local.set $c (i32.add (local.get $c) (i32.const 16)))
                      (br $zloop)))
                    (local.set $right (i32.add (local.get $row) (i32.shl (local.get $pl) (i32.const 2))))
                    (local.set $c (i32.const 0))
                    (block $cl (loop $cloop
                      (br_if $cl (i32.ge_s (local.get $c) (i32.shl (local.get $ix) (i32.const 2))))
                      (v128.store (i32.add (local.get $right) (local.get $c)) (v128.load (i32.add (local.get $srow) (local.get $c))))
                      (local.set $c (i32.add (local.get $c) (i32.const 16)))
                      (br $cloop)))
                    (local.set $c (i32.shl (i32.add (local.get $pl) (local.get $ix)) (i32.const 2)))
                    (block $rl (loop $rloop
                      (br_if $rl (i32.ge_s (local.get $c) (local.get $drow)))
                      (v128.store (i32.add (local.get $row) (local.get $c)) (v128.const i32x4 0 0 0 0))
                      (local.set $c (i32.add (local.get $c) (i32.const 16)))
                      (br $rloop))))
                  (else
                    (local.set $c (i32.const 0))
                    (block $zp (loop $zphase
                      (br_if $zp (i32.ge_s (local.get $c) (local.get $drow)))
                      (v128.store (i32.add (local.get $row) (local.get $c)) (v128.const i32x4 0 0 0 0))
                      (local.set $c (i32.add (local.get $c) (i32.const 16)))
                      (br $zphase)))
                    (local.set $ix (i32.const 0))
                    (local.set $c (local.get $pl))
                    (block $cdone
                      (loop $cols
                        (br_if $cdone (i32.or (i32.ge_u (local.get $ix) (local.get $w)) (i32.ge_u (local.get $c) (local.get $wp))))
                        (local.set $q (i32.div_u (local.get $c) (local.get $s)))
                        (local.set $ph (i32.sub (local.get $c) (i32.mul (local.get $q) (local.get $s))))
                        (f32.store (i32.add (local.get $row) (i32.shl (i32.add (i32.mul (local.get $ph) (local.get $wq)) (local.get $q)) (i32.const 2)))
                          (f32.load (i32.add (local.get $srow) (i32.shl (local.get $ix) (i32.const 2)))))
                        (local.set $ix (i32.add (local.get $ix) (i32.const 1)))
                        (local.set $c (i32.add (local.get $c) (i32.const 1)))
                        (br $cols)))))))
            (local.set $row (i32.add (local.get $row) (local.get $drow)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $rows)))
        (local.set $src (i32.add (local.get $src) (i32.shl (i32.mul (local.get $h) (local.get $w)) (i32.const 2))))
        (local.set $dst (i32.add (local.get $dst) (local.get $dplane)))
        (local.set $planes (i32.sub (local.get $planes) (i32.const 1)))
        (br $plane))))

  ;; Max pooling 2 x 2, stride 2, no padding: `planes` planes of h x w to oh x ow (ow >= 4;
  ;; the row tail as in conv). pmax is one instruction but loses a NaN in its second operand,
  ;; f32x4.max keeps it (the contract) but V8 lowers it to about nine: each plane runs with
  ;; pmax while summing (a + b + c + d) * 0 over its windows, which turns NaN if any input is
  ;; NaN or infinite, and only such a plane is run again with f32x4.max.
  (func $maxpool2_plane (param $x i32) (param $wb i32) (param $y i32) (param $oh i32) (param $ow i32) (param $exact i32) (result v128)
    (local $oy i32) (local $ox i32) (local $r0 i32) (local $r1 i32) (local $m0 v128) (local $m1 v128) (local $flag v128)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (loop $rows
      (local.set $r0 (i32.add (local.get $x) (i32.mul (i32.shl (local.get $oy) (i32.const 1)) (local.get $wb))))
      (local.set $r1 (i32.add (local.get $r0) (local.get $wb)))
      (local.set $ox (i32.const 0))
      (loop $cols
        (if (i32.gt_u (i32.add (local.get $ox) (i32.const 4)) (local.get $ow))
          (then (local.set $ox (i32.sub (local.get $ow) (i32.const 4)))))
        (local.set $a (v128.load offset=0 (i32.add (local.get $r0) (i32.shl (local.get $ox) (i32.const 3)))))
        (local.set $b (v128.load offset=16 (i32.add (local.get $r0) (i32.shl (local.get $ox) (i32.const 3)))))
        (local.set $c (v128.load offset=0 (i32.add (local.get $r1) (i32.shl (local.get $ox) (i32.const 3)))))
        (local.set $d (v128.load offset=16 (i32.add (local.get $r1) (i32.shl (local.get $ox) (i32.const 3)))))
        (if (local.get $exact)
          (then
            (local.set $m0 (f32x4.max (local.get $a) (local.get $c)))
            (local.set $m1 (f32x4.max (local.get $b) (local.get $d)))
            (v128.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (local.get $oy) (local.get $ow)) (local.get $ox)) (i32.const 2)))
              (f32x4.max
                (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $m0) (local.get $m1))
                (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $m0) (local.get $m1)))))
          (else
            (local.set $flag (f32x4.add (local.get $flag) (f32x4.mul
              (f32x4.add (f32x4.add (local.get $a) (local.get $b)) (f32x4.add (local.get $c) (local.get $d))) (v128.const f32x4 0 0 0 0))))
            (local.set $m0 (f32x4.pmax (local.get $a) (local.get $c)))
            (local.set $m1 (f32x4.pmax (local.get $b) (local.get $d)))
            (v128.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (local.get $oy) (local.get $ow)) (local.get $ox)) (i32.const 2)))
              (f32x4.pmax
                (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $m0) (local.get $m1))
                (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $m0) (local.get $m1))))))
        (local.set $ox (i32.add (local.get $ox) (i32.const 4)))
        (br_if $cols (i32.lt_u (local.get $ox) (local.get $ow))))
      (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $oy) (local.get $oh))))
    (local.get $flag))

  (func (export "maxpool2") (param $x i32) (param $planes i32) (param $h i32) (param $w i32) (param $y i32) (param $oh i32) (param $ow i32)
    (local $wb i32) (local $flag v128)
    (local.set $wb (i32.shl (local.get $w) (i32.const 2)))
    (block $pdone
      (loop $plane
        (br_if $pdone (i32.eqz (local.get $planes)))
        (local.set $flag (call $maxpool2_plane (local.get $x) (local.get $wb) (local.get $y) (local.get $oh) (local.get $ow) (i32.const 0)))
        (if (v128.any_true (f32x4.ne (local.get $flag) (local.get $flag)))
          (then (drop (call $maxpool2_plane (local.get $x) (local.get $wb) (local.get $y) (local.get $oh) (local.get $ow) (i32.const 1)))))
        (local.set $x (i32.add (local.get $x) (i32.mul (local.get $h) (local.get $wb))))
        (local.set $y (i32.add (local.get $y) (i32.shl (i32.mul (local.get $oh) (local.get $ow)) (i32.const 2))))
        (local.set $planes (i32.sub (local.get $planes) (i32.const 1)))
        (br $plane))))

  ;; Four rows by one panel, rows read in place (row r at x + r * ldx) rather than
  ;; interleaved: otherwise as $tile4 with ilv = 0, the activation a clip (lo, hi).
  (func $tile4r (param $x i32) (param $ldx i32) (param $k i32) (param $w i32) (param $b i32) (param $y i32) (param $ldy i32) (param $lo v128) (param $hi v128)
    (local $end i32) (local $x1 i32) (local $x2 i32) (local $x3 i32)
    (local $a0 v128) (local $a1 v128) (local $c0 v128) (local $c1 v128)
    (local $d0 v128) (local $d1 v128) (local $e0 v128) (local $e1 v128)
    (local $w0 v128) (local $w1 v128) (local $v v128)
    (local.set $x1 (i32.add (local.get $x) (local.get $ldx)))
    (local.set $x2 (i32.add (local.get $x1) (local.get $ldx)))
    (local.set $x3 (i32.add (local.get $x2) (local.get $ldx)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $k) (i32.const 2))))
    (local.set $a0 (v128.load offset=0 (local.get $b)))
    (local.set $a1 (v128.load offset=16 (local.get $b)))
    (local.set $c0 (local.get $a0)) (local.set $c1 (local.get $a1))
    (local.set $d0 (local.get $a0)) (local.set $d1 (local.get $a1))
    (local.set $e0 (local.get $a0)) (local.set $e1 (local.get $a1))
    (if (local.get $k)
      (then
        (loop $step
          (local.set $w0 (v128.load offset=0 (local.get $w)))
          (local.set $w1 (v128.load offset=16 (local.get $w)))
          (local.set $v (v128.load32_splat (local.get $x)))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $w0) (local.get $v))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $w1) (local.get $v))))
          (local.set $v (v128.load32_splat (local.get $x1)))
          (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $w0) (local.get $v))))
          (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $w1) (local.get $v))))
          (local.set $v (v128.load32_splat (local.get $x2)))
          (local.set $d0 (f32x4.add (local.get $d0) (f32x4.mul (local.get $w0) (local.get $v))))
          (local.set $d1 (f32x4.add (local.get $d1) (f32x4.mul (local.get $w1) (local.get $v))))
          (local.set $v (v128.load32_splat (local.get $x3)))
          (local.set $e0 (f32x4.add (local.get $e0) (f32x4.mul (local.get $w0) (local.get $v))))
          (local.set $e1 (f32x4.add (local.get $e1) (f32x4.mul (local.get $w1) (local.get $v))))
          (local.set $w (i32.add (local.get $w) (i32.const 32)))
          (local.set $x (i32.add (local.get $x) (i32.const 4)))
          (local.set $x1 (i32.add (local.get $x1) (i32.const 4)))
          (local.set $x2 (i32.add (local.get $x2) (i32.const 4)))
          (local.set $x3 (i32.add (local.get $x3) (i32.const 4)))
          (br_if $step (i32.lt_u (local.get $x) (local.get $end))))))
    (v128.store offset=0 (local.get $y) (f32x4.pmin (f32x4.pmax (local.get $a0) (local.get $lo)) (local.get $hi)))
    (v128.store offset=16 (local.get $y) (f32x4.pmin (f32x4.pmax (local.get $a1) (local.get $lo)) (local.get $hi)))
    (local.set $y (i32.add (local.get $y) (local.get $ldy)))
    (v128.store offset=0 (local.get $y) (f32x4.pmin (f32x4.pmax (local.get $c0) (local.get $lo)) (local.get $hi)))
    (v128.store offset=16 (local.get $y) (f32x4.pmin (f32x4.pmax (local.get $c1) (local.get $lo)) (local.get $hi)))
    (local.set $y (i32.add (local.get $y) (local.get $ldy)))
    (v128.store offset=0 (local.get $y) (f32x4.pmin (f32x4.pmax (local.get $d0) (local.get $lo)) (local.get $hi)))
    (v128.store offset=16 (local.get $y) (f32x4.pmin (f32x4.pmax (local.get $d1) (local.get $lo)) (local.get $hi)))
    (local.set $y (i32.add (local.get $y) (local.get $ldy)))
    (v128.store offset=0 (local.get $y) (f32x4.pmin (f32x4.pmax (local.get $e0) (local.get $lo)) (local.get $hi)))
    (v128.store offset=16 (local.get $y) (f32x4.pmin (f32x4.pmax (local.get $e1) (local.get $lo)) (local.get $hi))))

  ;; y = clip(x . w^T + b) over g groups of four rows read in place (row r at x + r * ldx,
  ;; k floats), w in panels of 8 (see the top), b [n8]; row r's n8 outputs at y + r * ldy.
  ;; Panels outside, groups inside, as $dense.
  (func (export "dense_rows") (param $x i32) (param $ldx i32) (param $g i32) (param $k i32) (param $w i32) (param $b i32) (param $n8 i32) (param $y i32) (param $ldy i32) (param $lo f32) (param $hi f32)
    (local $j i32) (local $i i32) (local $xi i32) (local $yi i32) (local $lov v128) (local $hiv v128) (local $gx i32) (local $gy i32)
    (local.set $lov (f32x4.splat (local.get $lo)))
    (local.set $hiv (f32x4.splat (local.get $hi)))
    (local.set $gx (i32.shl (local.get $ldx) (i32.const 2)))
    (local.set $gy (i32.shl (local.get $ldy) (i32.const 2)))
    (block $pdone
      (loop $panels
        (br_if $pdone (i32.ge_u (local.get $j) (local.get $n8)))
        (local.set $i (i32.const 0))
        (local.set $xi (local.get $x))
        (local.set $yi (local.get $y))
        (block $gdone
          (loop $groups
            (br_if $gdone (i32.ge_u (local.get $i) (local.get $g)))
            (call $tile4r (local.get $xi) (local.get $ldx) (local.get $k) (local.get $w) (local.get $b) (local.get $yi) (local.get $ldy) (local.get $lov) (local.get $hiv))
            (local.set $xi (i32.add (local.get $xi) (local.get $gx)))
            (local.set $yi (i32.add (local.get $yi) (local.get $gy)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $groups)))
        (local.set $w (i32.add (local.get $w) (i32.shl (local.get $k) (i32.const 5))))
        (local.set $b (i32.add (local.get $b) (i32.const 32)))
        (local.set $y (i32.add (local.get $y) (i32.const 32)))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $panels))))
)
