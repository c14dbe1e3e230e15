;; CPU kernels in WebAssembly SIMD128: u8 -> f32 normalize, the dense layer (matmul with fused
;; bias and ReLU), row argmax, and the fused MLP forward pass over a block of rows.
;;
;; The memory is imported. The MLP runner gives every thread one shared memory; wabt (as the
;; build runs it) cannot declare a shared memory, so the module declares a plain one with a
;; maximum and ../cpu/module.ts flips the import's limits flag to "shared" when it loads it.
;;
;; Packed weights ("panels"): a dense layer with n outputs and k inputs is stored as
;; ceil(n / 8) panels; panel p holds w[8p .. 8p+8, 0 .. k) transposed, [k][8] floats, so the
;; inner loop loads the 8 weights of one input with two v128 loads. Columns past n are zero,
;; and so is their bias: they compute 0 (or NaN when the input row has a NaN) and nobody
;; reads them, because the next layer's k is the true n.
(module
  (import "env" "memory" (memory 1 32768))

  ;; dst[i] = f32(src[i]) * scale + shift for i < n (u8 in, f32 out); reads up to 15 bytes and
  ;; writes up to 60 bytes past the end.
  (func $normalize (export "normalize") (param $src i32) (param $n i32) (param $dst i32) (param $scale f32) (param $shift f32)
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

  ;; argmax of each of m rows of n floats (x row-major): out[i] = the column of row i's
  ;; largest value, under the contract's order: NaN above +inf, -0 equal to 0, ties to the
  ;; lower column. Values are compared as order-preserving integer keys (see $key), four
  ;; columns per step, each lane keeping its own best; the lanes are merged at the end. A
  ;; row's last partial step re-reads the row's last four columns: a column seen twice ties
  ;; with itself, which the merge resolves to the same column.
  (func (export "argmax_rows") (param $x i32) (param $m i32) (param $n i32) (param $out i32)
    (local $p i32) (local $end i32) (local $best v128) (local $bidx v128) (local $idx v128) (local $k v128) (local $gt v128)
    (local $bk i32) (local $bi i32) (local $lk i32) (local $li i32) (local $lane i32)
    (block $rdone
      (loop $rows
        (br_if $rdone (i32.eqz (local.get $m)))
        (if (i32.lt_u (local.get $n) (i32.const 4))
          (then
            ;; Short rows: one column at a time.
            (local.set $bk (call $key1 (f32.load (local.get $x))))
            (local.set $bi (i32.const 0))
            (local.set $p (i32.const 1))
            (block $sdone
              (loop $scalar
                (br_if $sdone (i32.ge_u (local.get $p) (local.get $n)))
                (local.set $lk (call $key1 (f32.load (i32.add (local.get $x) (i32.shl (local.get $p) (i32.const 2))))))
                (if (i32.gt_s (local.get $lk) (local.get $bk))
                  (then (local.set $bk (local.get $lk)) (local.set $bi (local.get $p))))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $scalar))))
          (else
            (local.set $best (call $key4 (v128.load (local.get $x))))
            (local.set $idx (v128.const i32x4 0 1 2 3))
            (local.set $bidx (local.get $idx))
            (local.set $p (i32.const 4))
            (block $vdone
              (loop $vec
                (br_if $vdone (i32.ge_u (local.get $p) (local.get $n)))
                ;; The last step starts at n - 4 so that it stays inside the row.
                (if (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $n))
                  (then (local.set $p (i32.sub (local.get $n) (i32.const 4)))))
                (local.set $idx (i32x4.add (i32x4.splat (local.get $p)) (v128.const i32x4 0 1 2 3)))
                (local.set $k (call $key4 (v128.load (i32.add (local.get $x) (i32.shl (local.get $p) (i32.const 2))))))
                (local.set $gt (i32x4.gt_s (local.get $k) (local.get $best)))
                (local.set $best (v128.bitselect (local.get $k) (local.get $best) (local.get $gt)))
                (local.set $bidx (v128.bitselect (local.get $idx) (local.get $bidx) (local.get $gt)))
                (local.set $p (i32.add (local.get $p) (i32.const 4)))
                (br $vec)))
            ;; Merge the lanes: the largest key, the lowest column among equal keys.
            (local.set $bk (i32x4.extract_lane 0 (local.get $best)))
            (local.set $bi (i32x4.extract_lane 0 (local.get $bidx)))
            (local.set $lane (i32.const 1))
            (loop $merge
              (local.set $lk (i32x4.extract_lane 1 (local.get $best)))
              (local.set $li (i32x4.extract_lane 1 (local.get $bidx)))
              (if (i32.or (i32.gt_s (local.get $lk) (local.get $bk))
                    (i32.and (i32.eq (local.get $lk) (local.get $bk)) (i32.lt_s (local.get $li) (local.get $bi))))
                (then (local.set $bk (local.get $lk)) (local.set $bi (local.get $li))))
              ;; Rotate the next lane into lane 1.
              (local.set $best (i8x16.shuffle 4 5 6 7 8 9 10 11 12 13 14 15 0 1 2 3 (local.get $best) (local.get $best)))
              (local.set $bidx (i8x16.shuffle 4 5 6 7 8 9 10 11 12 13 14 15 0 1 2 3 (local.get $bidx) (local.get $bidx)))
              (local.set $lane (i32.add (local.get $lane) (i32.const 1)))
              (br_if $merge (i32.lt_u (local.get $lane) (i32.const 4))))))
        (i32.store (local.get $out) (local.get $bi))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $x (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
        (local.set $m (i32.sub (local.get $m) (i32.const 1)))
        (br $rows))))

  ;; Order-preserving integer keys of floats: adding +0 turns -0 into +0; a negative float's
  ;; magnitude bits are flipped so that larger floats get larger signed keys; every NaN gets
  ;; the largest key (above +inf's 0x7f800000) whatever its sign and payload.
  (func $key4 (param $v v128) (result v128)
    (local $b v128)
    (local.set $b (f32x4.add (local.get $v) (v128.const f32x4 0 0 0 0)))
    (v128.bitselect
      (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff)
      (v128.xor (local.get $b) (i32x4.shr_u (i32x4.shr_s (local.get $b) (i32.const 31)) (i32.const 1)))
      (f32x4.ne (local.get $v) (local.get $v))))

  (func $key1 (param $v f32) (result i32)
    (local $b i32)
    (if (f32.ne (local.get $v) (local.get $v)) (then (return (i32.const 0x7fffffff))))
    (local.set $b (i32.reinterpret_f32 (f32.add (local.get $v) (f32.const 0))))
    (i32.xor (local.get $b) (i32.shr_u (i32.shr_s (local.get $b) (i32.const 31)) (i32.const 1))))

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

  ;; The MLP forward pass over rows [row0, row0 + rows) (row0 a multiple of 4) of the images at
  ;; `images`, for the model described at `model`: i32 layers, i32 in, f32 scale, f32 shift,
  ;; then per layer i32 w, b, k, n8, relu (see mlp/cpu.ts). Rows are taken in groups of four,
  ;; so up to 3 rows past the end are read (images) and written (out): callers pad both.
  ;; Activations alternate between the scratch buffers s0 and s1; the last layer writes its
  ;; outputs (n8 floats per row) to out + row * ldo.
  (func (export "forward") (param $model i32) (param $images i32) (param $row0 i32) (param $rows i32) (param $s0 i32) (param $s1 i32) (param $out i32) (param $ldo i32)
    (local $layers i32) (local $in i32) (local $g i32) (local $l i32) (local $d i32)
    (local $x i32) (local $gx i32) (local $y i32) (local $n8 i32) (local $t i32)
    (local.set $layers (i32.load offset=0 (local.get $model)))
    (local.set $in (i32.load offset=4 (local.get $model)))
    (local.set $g (i32.shr_u (i32.add (local.get $rows) (i32.const 3)) (i32.const 2)))
    (call $normalize4
      (i32.add (local.get $images) (i32.mul (local.get $row0) (local.get $in)))
      (local.get $in) (local.get $g) (local.get $s0)
      (f32.load offset=8 (local.get $model))
      (f32.load offset=12 (local.get $model)))
    (local.set $x (local.get $s0))
    (local.set $gx (i32.shl (i32.and (i32.add (local.get $in) (i32.const 3)) (i32.const -4)) (i32.const 4)))
    (local.set $y (local.get $s1))
    (local.set $d (i32.add (local.get $model) (i32.const 16)))
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
        (br $layer))))
)
