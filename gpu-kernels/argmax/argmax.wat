;; argmax over the rows of a matrix in WebAssembly SIMD128 (the CPU fast path of argmax/cpu.ts).
(module
  (import "env" "memory" (memory 1))

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
)
