;; A message-handling agent. The host copies a message into linear memory and asks for a reply:
;;
;;   buffer(len) -> ptr        room for a len-byte message at ptr and its reply right after it
;;                             (memory grows as needed)
;;   handle(ptr, len) -> i64   transforms the message at [ptr, ptr + len) and returns
;;                             (reply_ptr << 32) | reply_len
;;
;; The reply is the message with ASCII lower-case letters upper-cased, followed by the 8-byte
;; little-endian FNV-1a 64 hash of the original message. The host bounds-checks every pointer
;; and length the guest returns.
;;
;; Native twin: `workloads::wasm::transform(payload)`.
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

  ;; Messages start at 1 KiB; the reply (len + 8 bytes) follows the message.
  (func (export "buffer") (param $len i32) (result i32)
    (call $ensure (i64.add (i64.const 1032) (i64.mul (i64.extend_i32_u (local.get $len)) (i64.const 2))))
    (i32.const 1024))

  (func (export "handle") (param $ptr i32) (param $len i32) (result i64)
    (local $out i32) (local $i i32) (local $b i32) (local $h i64)
    (local.set $out (i32.add (local.get $ptr) (local.get $len)))
    (local.set $h (i64.const 0xcbf29ce484222325))
    (block $done
      (loop $byte
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $b (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
        (local.set $h (i64.mul (i64.xor (local.get $h) (i64.extend_i32_u (local.get $b)))
                               (i64.const 0x100000001b3)))
        ;; 'a'..='z' (b - 97 < 26, unsigned) → upper case.
        (if (i32.lt_u (i32.sub (local.get $b) (i32.const 97)) (i32.const 26))
          (then (local.set $b (i32.sub (local.get $b) (i32.const 32)))))
        (i32.store8 (i32.add (local.get $out) (local.get $i)) (local.get $b))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $byte)))
    (i64.store (i32.add (local.get $out) (local.get $len)) (local.get $h))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $out)) (i64.const 32))
            (i64.extend_i32_u (i32.add (local.get $len) (i32.const 8))))))
