;; Integer hashing loop: `rounds` rounds of SplitMix64 (Steele, Lea & Flood 2014) from `seed`,
;; XOR-folded into one word. A dependent chain of 64-bit multiplies, shifts and XORs that no
;; compiler can skip or vectorise: pure compute, no memory.
;;
;; Native twin: `workloads::orchestrator::work(seed, rounds)` (`rounds` is read as unsigned).
(module
  (func (export "hash") (param $seed i64) (param $rounds i32) (result i64)
    (local $x i64) (local $z i64) (local $acc i64)
    (local.set $x (local.get $seed))
    (block $done
      (loop $round
        (br_if $done (i32.eqz (local.get $rounds)))
        (local.set $x (i64.add (local.get $x) (i64.const 0x9E3779B97F4A7C15)))
        (local.set $z (local.get $x))
        (local.set $z (i64.mul (i64.xor (local.get $z) (i64.shr_u (local.get $z) (i64.const 30)))
                               (i64.const 0xBF58476D1CE4E5B9)))
        (local.set $z (i64.mul (i64.xor (local.get $z) (i64.shr_u (local.get $z) (i64.const 27)))
                               (i64.const 0x94D049BB133111EB)))
        (local.set $acc (i64.xor (local.get $acc)
                                 (i64.xor (local.get $z) (i64.shr_u (local.get $z) (i64.const 31)))))
        (local.set $rounds (i32.sub (local.get $rounds) (i32.const 1)))
        (br $round)))
    (local.get $acc)))
