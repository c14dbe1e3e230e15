;; Byte-scanning kernels for utf8 columns (SIMD128): line splitting and the fused split(sep).at(k).
;; Every function reads up to 15 bytes past its input and writes up to 15 bytes past its
;; output: callers leave 16 bytes of slack after each region (WasmHeap.reserve adds 64).
(module
  (import "env" "memory" (memory 1))

  ;; Lines of src[0, len) with their '\n' and one '\r' before it removed, copied to `out`;
  ;; offsets (n + 1 of them, starting at 0) to `offs`. A final line without '\n' counts; a
  ;; final '\n' does not start an empty line. Returns the number of lines n.
  (func (export "split_lines") (param $src i32) (param $len i32) (param $out i32) (param $offs i32) (result i32)
    (local $p i32) (local $e i32) (local $w i32) (local $n i32) (local $lineW i32)
    (local $v v128) (local $nl v128) (local $m i32) (local $rem i32) (local $adv i32)
    (local.set $p (local.get $src))
    (local.set $e (i32.add (local.get $src) (local.get $len)))
    (local.set $nl (i8x16.splat (i32.const 10)))
    (i32.store (local.get $offs) (i32.const 0))
    (block $done
      (loop $lines
        (br_if $done (i32.ge_u (local.get $p) (local.get $e)))
        (loop $chunk
          (local.set $v (v128.load (local.get $p)))
          (v128.store (i32.add (local.get $out) (local.get $w)) (local.get $v))
          (local.set $m (i8x16.bitmask (i8x16.eq (local.get $v) (local.get $nl))))
          (local.set $rem (i32.sub (local.get $e) (local.get $p)))
          (if (i32.lt_u (local.get $rem) (i32.const 16))
            (then (local.set $m (i32.and (local.get $m)
              (i32.sub (i32.shl (i32.const 1) (local.get $rem)) (i32.const 1))))))
          (if (i32.eqz (local.get $m))
            (then
              (local.set $adv (select (local.get $rem) (i32.const 16) (i32.lt_u (local.get $rem) (i32.const 16))))
              (local.set $w (i32.add (local.get $w) (local.get $adv)))
              (local.set $p (i32.add (local.get $p) (local.get $adv)))
              (br_if $chunk (i32.lt_u (local.get $p) (local.get $e)))
              ;; End of input inside a line: it ends here.
              (if (i32.and (i32.gt_u (local.get $w) (local.get $lineW))
                    (i32.eq (i32.load8_u (i32.sub (i32.add (local.get $out) (local.get $w)) (i32.const 1))) (i32.const 13)))
                (then (local.set $w (i32.sub (local.get $w) (i32.const 1)))))
              (local.set $n (i32.add (local.get $n) (i32.const 1)))
              (i32.store (i32.add (local.get $offs) (i32.shl (local.get $n) (i32.const 2))) (local.get $w))
              (br $done)))
          (local.set $adv (i32.ctz (local.get $m)))
          (local.set $w (i32.add (local.get $w) (local.get $adv)))
          (local.set $p (i32.add (local.get $p) (i32.add (local.get $adv) (i32.const 1))))
          (if (i32.and (i32.gt_u (local.get $w) (local.get $lineW))
                (i32.eq (i32.load8_u (i32.sub (i32.add (local.get $out) (local.get $w)) (i32.const 1))) (i32.const 13)))
            (then (local.set $w (i32.sub (local.get $w) (i32.const 1)))))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (i32.store (i32.add (local.get $offs) (i32.shl (local.get $n) (i32.const 2))) (local.get $w))
          (local.set $lineW (local.get $w))
          (br $lines))))
    (local.get $n))

  ;; Number of `byte` in src[0, len).
  (func (export "count_byte") (param $src i32) (param $len i32) (param $byte i32) (result i32)
    (local $p i32) (local $e i32) (local $c i32) (local $b v128) (local $m i32) (local $rem i32)
    (local.set $p (local.get $src))
    (local.set $e (i32.add (local.get $src) (local.get $len)))
    (local.set $b (i8x16.splat (local.get $byte)))
    (block $done
      (loop $chunk
        (br_if $done (i32.ge_u (local.get $p) (local.get $e)))
        (local.set $m (i8x16.bitmask (i8x16.eq (v128.load (local.get $p)) (local.get $b))))
        (local.set $rem (i32.sub (local.get $e) (local.get $p)))
        (if (i32.lt_u (local.get $rem) (i32.const 16))
          (then (local.set $m (i32.and (local.get $m)
            (i32.sub (i32.shl (i32.const 1) (local.get $rem)) (i32.const 1))))))
        (local.set $c (i32.add (local.get $c) (i32.popcnt (local.get $m))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $chunk)))
    (local.get $c))

  ;; Position of the first `sep` in [p, e), or e.
  (func $find (param $p i32) (param $e i32) (param $sv v128) (result i32)
    (local $m i32) (local $rem i32)
    (loop $chunk
      (if (i32.ge_u (local.get $p) (local.get $e)) (then (return (local.get $e))))
      (local.set $m (i8x16.bitmask (i8x16.eq (v128.load (local.get $p)) (local.get $sv))))
      (local.set $rem (i32.sub (local.get $e) (local.get $p)))
      (if (i32.lt_u (local.get $rem) (i32.const 16))
        (then (local.set $m (i32.and (local.get $m)
          (i32.sub (i32.shl (i32.const 1) (local.get $rem)) (i32.const 1))))))
      (if (local.get $m) (then (return (i32.add (local.get $p) (i32.ctz (local.get $m))))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $chunk))
    (local.get $e))

  ;; Fused at(split(str, sep), k) for a one-byte separator and k >= 0. Row i is the bytes
  ;; [base + offs[i], base + offs[i + 1]). Rows whose bit in `valid` is 0 give an empty value;
  ;; rows with fewer than k + 1 tokens get their bit cleared. Token bytes go to `out`, their
  ;; offsets (n + 1, from 0) to `outOffs`. Returns the total token bytes.
  (func (export "split_at1") (param $offs i32) (param $base i32) (param $n i32) (param $sep i32) (param $k i32)
        (param $valid i32) (param $out i32) (param $outOffs i32) (result i32)
    (local $i i32) (local $p i32) (local $e i32) (local $t i32) (local $m i32) (local $rem i32)
    (local $start i32) (local $end i32) (local $w i32) (local $c i32) (local $sv v128) (local $vb i32)
    (local.set $sv (i8x16.splat (local.get $sep)))
    (i32.store (local.get $outOffs) (i32.const 0))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $n)))
        (block $row_done
          (local.set $vb (i32.add (local.get $valid) (i32.shr_u (local.get $i) (i32.const 3))))
          (br_if $row_done (i32.eqz (i32.and (i32.load8_u (local.get $vb))
            (i32.shl (i32.const 1) (i32.and (local.get $i) (i32.const 7))))))
          (local.set $p (i32.add (local.get $base) (i32.load (i32.add (local.get $offs) (i32.shl (local.get $i) (i32.const 2))))))
          (local.set $e (i32.add (local.get $base) (i32.load (i32.add (local.get $offs) (i32.shl (i32.add (local.get $i) (i32.const 1)) (i32.const 2))))))
          (local.set $start (local.get $p))
          (local.set $t (local.get $k))
          ;; Skip k separators; the token starts after the k-th.
          (block $found
            (br_if $found (i32.eqz (local.get $t)))
            (loop $chunk
              (if (i32.ge_u (local.get $p) (local.get $e))
                (then
                  ;; Fewer than k + 1 tokens: null.
                  (i32.store8 (local.get $vb) (i32.and (i32.load8_u (local.get $vb))
                    (i32.xor (i32.shl (i32.const 1) (i32.and (local.get $i) (i32.const 7))) (i32.const -1))))
                  (br $row_done)))
              (local.set $m (i8x16.bitmask (i8x16.eq (v128.load (local.get $p)) (local.get $sv))))
              (local.set $rem (i32.sub (local.get $e) (local.get $p)))
              (if (i32.lt_u (local.get $rem) (i32.const 16))
                (then (local.set $m (i32.and (local.get $m)
                  (i32.sub (i32.shl (i32.const 1) (local.get $rem)) (i32.const 1))))))
              (loop $bits
                (if (local.get $m)
                  (then
                    (local.set $t (i32.sub (local.get $t) (i32.const 1)))
                    (if (i32.eqz (local.get $t))
                      (then
                        (local.set $start (i32.add (i32.add (local.get $p) (i32.ctz (local.get $m))) (i32.const 1)))
                        (br $found)))
                    (local.set $m (i32.and (local.get $m) (i32.sub (local.get $m) (i32.const 1))))
                    (br $bits))))
              (local.set $p (i32.add (local.get $p) (i32.const 16)))
              (br $chunk)))
          (local.set $end (call $find (local.get $start) (local.get $e) (local.get $sv)))
          ;; Copy the token 16 bytes at a time (the last store may run past it: slack).
          (local.set $c (i32.const 0))
          (local.set $rem (i32.sub (local.get $end) (local.get $start)))
          (block $copied
            (loop $copy
              (br_if $copied (i32.ge_s (local.get $c) (local.get $rem)))
              (v128.store (i32.add (i32.add (local.get $out) (local.get $w)) (local.get $c))
                (v128.load (i32.add (local.get $start) (local.get $c))))
              (local.set $c (i32.add (local.get $c) (i32.const 16)))
              (br $copy)))
          (local.set $w (i32.add (local.get $w) (local.get $rem))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (i32.store (i32.add (local.get $outOffs) (i32.shl (local.get $i) (i32.const 2))) (local.get $w))
        (br $rows)))
    (local.get $w))
;; The single-bytes-key hash of KeyTable (key-table.ts probeBytes1) for each row
  ;; [base + offs[i], base + offs[i + 1]): murmur3_32 seeded with the length, whose 1-3 tail
  ;; bytes are read as the last (overlapping) word when the row has 4 or more bytes.
  (func (export "hash_rows") (param $offs i32) (param $base i32) (param $n i32) (param $out i32)
    (local $i i32) (local $a i32) (local $len i32) (local $p i32) (local $stop i32) (local $h i32) (local $k i32)
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $a (i32.load (i32.add (local.get $offs) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $len (i32.sub (i32.load (i32.add (local.get $offs) (i32.shl (i32.add (local.get $i) (i32.const 1)) (i32.const 2)))) (local.get $a)))
        (local.set $a (i32.add (local.get $a) (local.get $base)))
        (local.set $h (local.get $len))
        (local.set $p (local.get $a))
        (local.set $stop (i32.add (local.get $a) (i32.and (local.get $len) (i32.const -4))))
        (block $words_done
          (loop $words
            (br_if $words_done (i32.ge_u (local.get $p) (local.get $stop)))
            (local.set $k (i32.mul (i32.rotl (i32.mul (i32.load (local.get $p)) (i32.const 0xcc9e2d51)) (i32.const 15)) (i32.const 0x1b873593)))
            (local.set $h (i32.add (i32.mul (i32.rotl (i32.xor (local.get $h) (local.get $k)) (i32.const 13)) (i32.const 5)) (i32.const 0xe6546b64)))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (br $words)))
        (if (i32.lt_u (local.get $p) (i32.add (local.get $a) (local.get $len)))
          (then
            (if (i32.ge_u (local.get $len) (i32.const 4))
              (then (local.set $k (i32.load (i32.sub (i32.add (local.get $a) (local.get $len)) (i32.const 4)))))
              (else (local.set $k (i32.and (i32.load (local.get $a))
                (i32.sub (i32.shl (i32.const 1) (i32.shl (local.get $len) (i32.const 3))) (i32.const 1))))))
            (local.set $k (i32.mul (i32.rotl (i32.mul (local.get $k) (i32.const 0xcc9e2d51)) (i32.const 15)) (i32.const 0x1b873593)))
            (local.set $h (i32.xor (local.get $h) (local.get $k)))))
        (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))
        (local.set $h (i32.mul (local.get $h) (i32.const 0x85ebca6b)))
        (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 13))))
        (local.set $h (i32.mul (local.get $h) (i32.const 0xc2b2ae35)))
        (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))
        (i32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (local.get $h))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))
)
