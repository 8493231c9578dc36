;; Memory kernel: fill `len` bytes of linear memory with 64-bit words, then sum them back.
;;
;;   word[i] = (i · 0x9E3779B97F4A7C15) xor seed      for i < len / 8, at byte offset 8i
;;   result  = Σ word[i]  (wrapping)
;;
;; Memory grows to hold `len` bytes (whole 64 KiB pages) before the fill, so the host's memory
;; limit decides whether a size is allowed; `grow` and `pages` let the host probe that limit one
;; page at a time.
;;
;; Native twin: `workloads::wasm::NativeKernels::fill_sum(len, seed)`.
(module
  (memory (export "memory") 1)

  ;; Grows memory to hold at least $bytes bytes; traps if that is over 4 GiB or growth fails.
  (func $ensure (param $bytes i64)
    (local $need i64) (local $have i64)
    (local.set $need (i64.shr_u (i64.add (local.get $bytes) (i64.const 65535)) (i64.const 16)))
    (if (i64.gt_u (local.get $need) (i64.const 65536)) (then unreachable))
    (local.set $have (i64.extend_i32_u (memory.size)))
    (if (i64.gt_u (local.get $need) (local.get $have))
      (then
        (if (i32.eq (memory.grow (i32.wrap_i64 (i64.sub (local.get $need) (local.get $have))))
                    (i32.const -1))
          (then unreachable)))))

  (func (export "fill_sum") (param $len i32) (param $seed i64) (result i64)
    (local $end i32) (local $p i32) (local $i i64) (local $acc i64)
    (call $ensure (i64.extend_i32_u (local.get $len)))
    (local.set $end (i32.and (local.get $len) (i32.const -8)))
    (block $fill_done
      (loop $fill
        (br_if $fill_done (i32.ge_u (local.get $p) (local.get $end)))
        (i64.store (local.get $p)
          (i64.xor (i64.mul (local.get $i) (i64.const 0x9E3779B97F4A7C15)) (local.get $seed)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $fill)))
    (local.set $p (i32.const 0))
    (block $sum_done
      (loop $sum
        (br_if $sum_done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $acc (i64.add (local.get $acc) (i64.load (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $sum)))
    (local.get $acc))

  ;; memory.grow: the previous size in pages, or -1.
  (func (export "grow") (param $delta i32) (result i32)
    (memory.grow (local.get $delta)))

  ;; memory.size in pages.
  (func (export "pages") (result i32)
    (memory.size)))
