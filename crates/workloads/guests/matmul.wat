;; A small dense matrix multiply, C = A × B, for n × n matrices of 32-bit integers with wrapping
;; arithmetic (exact, so native and WASM results compare bit for bit).
;;
;;   A[i] = i · 0x9E3779B1 + seed        B[i] = (i xor seed) · 0x85EBCA6B      (i = row · n + col)
;;   C[i][j] = Σ_k A[i][k] · B[k][j]      (naive i-j-k order, as the native twin)
;;
;; Layout in linear memory: A at 0, B at 4n², C at 8n²; memory grows to fit 12n² bytes.
;; Returns a checksum over C in row-major order: acc = rotl(acc, 5) xor u32(C[i][j]).
;; n above 1024 traps (`unreachable`): the host never asks for it.
;;
;; Native twin: `workloads::wasm::NativeKernels::matmul(n, seed)`.
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

  (func (export "matmul") (param $n i32) (param $seed i32) (result i64)
    (local $nn i32) (local $b i32) (local $c i32)
    (local $i i32) (local $j i32) (local $k i32) (local $idx i32) (local $sum i32) (local $acc i64)
    (if (i32.gt_u (local.get $n) (i32.const 1024)) (then unreachable))
    (local.set $nn (i32.mul (local.get $n) (local.get $n)))
    (call $ensure (i64.mul (i64.extend_i32_u (local.get $nn)) (i64.const 12)))
    (local.set $b (i32.shl (local.get $nn) (i32.const 2)))
    (local.set $c (i32.shl (local.get $nn) (i32.const 3)))
    ;; Inputs.
    (block $gen_done
      (loop $gen
        (br_if $gen_done (i32.ge_u (local.get $idx) (local.get $nn)))
        (i32.store (i32.shl (local.get $idx) (i32.const 2))
          (i32.add (i32.mul (local.get $idx) (i32.const 0x9E3779B1)) (local.get $seed)))
        (i32.store (i32.add (local.get $b) (i32.shl (local.get $idx) (i32.const 2)))
          (i32.mul (i32.xor (local.get $idx) (local.get $seed)) (i32.const 0x85EBCA6B)))
        (local.set $idx (i32.add (local.get $idx) (i32.const 1)))
        (br $gen)))
    ;; C = A × B.
    (block $i_done
      (loop $i_loop
        (br_if $i_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $j (i32.const 0))
        (block $j_done
          (loop $j_loop
            (br_if $j_done (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $sum (i32.const 0))
            (local.set $k (i32.const 0))
            (block $k_done
              (loop $k_loop
                (br_if $k_done (i32.ge_u (local.get $k) (local.get $n)))
                (local.set $sum
                  (i32.add (local.get $sum)
                    (i32.mul
                      (i32.load (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $k))
                                         (i32.const 2)))
                      (i32.load (i32.add (local.get $b)
                                         (i32.shl (i32.add (i32.mul (local.get $k) (local.get $n)) (local.get $j))
                                                  (i32.const 2)))))))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $k_loop)))
            (local.set $idx (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)))
            (i32.store (i32.add (local.get $c) (i32.shl (local.get $idx) (i32.const 2))) (local.get $sum))
            (local.set $acc (i64.xor (i64.rotl (local.get $acc) (i64.const 5)) (i64.extend_i32_u (local.get $sum))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $j_loop)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $i_loop)))
    (local.get $acc)))
