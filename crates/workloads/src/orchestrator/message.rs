//! FIPA-ACL messages (FIPA SC00061G, "ACL Message Structure Specification") and their encodings.
//!
//! A message carries one of the 13 communicative acts of FIPA SC00037J (the performatives the
//! orchestrator supports), sender, receivers, conversation id, reply-with / in-reply-to, content
//! language, ontology and an opaque byte payload. It is a serde type, so it encodes as JSON; the
//! compact binary encoding below is what the throughput suite compares JSON against.
//!
//! Binary layout (little-endian), version 1:
//!
//! ```text
//! u8 version | u8 performative | u64 sender | u16 n | n × u64 receiver | u64 conversation
//! | u8 flags (bit 0 reply_with, bit 1 in_reply_to) | [u64 reply_with] | [u64 in_reply_to]
//! | u16 len + UTF-8 language | u16 len + UTF-8 ontology | u32 len + payload
//! ```
//!
//! Empty language/ontology strings stand for "not given". Decoding never panics: truncated or
//! malformed input is a [`CodecError`] naming the field.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// An agent's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AgentId(pub u64);

/// Groups the messages of one interaction; request/response is correlated by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConversationId(pub u64);

macro_rules! performatives {
    ($( $variant:ident = $code:literal, $name:literal; )*) => {
        /// The communicative act of a message.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum Performative {
            $( #[doc = $name] $variant, )*
        }

        impl Performative {
            /// All thirteen, in wire-code order.
            pub const ALL: [Performative; 13] = [ $( Performative::$variant, )* ];

            /// The FIPA name, e.g. `accept-proposal`.
            pub fn name(self) -> &'static str {
                match self { $( Performative::$variant => $name, )* }
            }

            fn code(self) -> u8 {
                match self { $( Performative::$variant => $code, )* }
            }

            fn from_code(code: u8) -> Option<Self> {
                match code { $( $code => Some(Performative::$variant), )* _ => None }
            }
        }
    };
}

performatives! {
    QueryIf = 0, "query-if";
    QueryRef = 1, "query-ref";
    Inform = 2, "inform";
    NotUnderstood = 3, "not-understood";
    Refuse = 4, "refuse";
    Failure = 5, "failure";
    Request = 6, "request";
    Agree = 7, "agree";
    Cancel = 8, "cancel";
    Cfp = 9, "cfp";
    Propose = 10, "propose";
    AcceptProposal = 11, "accept-proposal";
    RejectProposal = 12, "reject-proposal";
}

/// One ACL message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclMessage {
    /// The communicative act.
    pub performative: Performative,
    /// Who sends it.
    pub sender: AgentId,
    /// Who receives it (one or more).
    pub receivers: Vec<AgentId>,
    /// The interaction it belongs to.
    pub conversation_id: ConversationId,
    /// Tag the answer must quote in `in_reply_to`.
    pub reply_with: Option<u64>,
    /// The `reply_with` tag this message answers.
    pub in_reply_to: Option<u64>,
    /// Content language, if stated.
    pub language: Option<String>,
    /// Ontology of the content, if stated.
    pub ontology: Option<String>,
    /// The content.
    /// The content; shared, so fan-out to many receivers does not copy it.
    pub payload: Bytes,
}

/// Binary decoding or encoding failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The input ended inside a field.
    #[error("ACL message truncated in `{field}`: needed {needed} more bytes at offset {offset}")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Where it starts.
        offset: usize,
        /// Bytes missing.
        needed: usize,
    },
    /// The version byte is not one this build reads.
    #[error("ACL wire version {0} is not supported (this build reads version 1)")]
    Version(u8),
    /// The performative code is not one of the 13.
    #[error("unknown performative code {0} (valid: 0–12)")]
    Performative(u8),
    /// The flags byte has bits this version does not define.
    #[error("ACL flags byte {0:#04x} has undefined bits set (only bits 0 and 1 are defined)")]
    Flags(u8),
    /// A text field is not UTF-8.
    #[error("ACL field `{0}` is not valid UTF-8")]
    Utf8(&'static str),
    /// A field is too long for its length prefix.
    #[error("ACL field `{field}` is {len} long; the wire format allows at most {max}")]
    TooLong {
        /// The field.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Bytes remain after the payload.
    #[error("{0} unexpected bytes after the ACL message")]
    Trailing(usize),
}

const WIRE_VERSION: u8 = 1;

impl AclMessage {
    /// A message with no reply tags, language or ontology.
    pub fn new(
        performative: Performative,
        sender: AgentId,
        receiver: AgentId,
        conversation_id: ConversationId,
        payload: impl Into<Bytes>,
    ) -> Self {
        AclMessage {
            performative,
            sender,
            receivers: vec![receiver],
            conversation_id,
            reply_with: None,
            in_reply_to: None,
            language: None,
            ontology: None,
            payload: payload.into(),
        }
    }

    /// Bytes [`encode_binary`](Self::encode_binary) will produce.
    pub fn binary_len(&self) -> usize {
        1 + 1
            + 8
            + 2
            + 8 * self.receivers.len()
            + 8
            + 1
            + 8 * (self.reply_with.is_some() as usize + self.in_reply_to.is_some() as usize)
            + 2
            + self.language.as_deref().map_or(0, str::len)
            + 2
            + self.ontology.as_deref().map_or(0, str::len)
            + 4
            + self.payload.len()
    }

    /// Appends the binary encoding to `out`.
    pub fn encode_binary(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        let check = |field, len: usize, max: usize| {
            if len > max { Err(CodecError::TooLong { field, len, max }) } else { Ok(()) }
        };
        check("receivers", self.receivers.len(), u16::MAX as usize)?;
        let language = self.language.as_deref().unwrap_or("");
        let ontology = self.ontology.as_deref().unwrap_or("");
        check("language", language.len(), u16::MAX as usize)?;
        check("ontology", ontology.len(), u16::MAX as usize)?;
        check("payload", self.payload.len(), u32::MAX as usize)?;
        out.reserve(self.binary_len());
        out.push(WIRE_VERSION);
        out.push(self.performative.code());
        out.extend_from_slice(&self.sender.0.to_le_bytes());
        out.extend_from_slice(&(self.receivers.len() as u16).to_le_bytes());
        for r in &self.receivers {
            out.extend_from_slice(&r.0.to_le_bytes());
        }
        out.extend_from_slice(&self.conversation_id.0.to_le_bytes());
        out.push(self.reply_with.is_some() as u8 | (self.in_reply_to.is_some() as u8) << 1);
        for tag in [self.reply_with, self.in_reply_to].into_iter().flatten() {
            out.extend_from_slice(&tag.to_le_bytes());
        }
        for text in [language, ontology] {
            out.extend_from_slice(&(text.len() as u16).to_le_bytes());
            out.extend_from_slice(text.as_bytes());
        }
        out.extend_from_slice(&(self.payload.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.payload);
        Ok(())
    }

    /// Decodes one message that fills `bytes` exactly.
    pub fn decode_binary(bytes: &[u8]) -> Result<Self, CodecError> {
        let mut r = Reader { bytes, pos: 0 };
        let version = r.u8("version")?;
        if version != WIRE_VERSION {
            return Err(CodecError::Version(version));
        }
        let code = r.u8("performative")?;
        let performative = Performative::from_code(code).ok_or(CodecError::Performative(code))?;
        let sender = AgentId(r.u64("sender")?);
        let n = r.u16("receivers")? as usize;
        let receivers = (0..n).map(|_| r.u64("receivers").map(AgentId)).collect::<Result<Vec<_>, _>>()?;
        let conversation_id = ConversationId(r.u64("conversation_id")?);
        let flags = r.u8("flags")?;
        if flags & !0b11 != 0 {
            return Err(CodecError::Flags(flags));
        }
        let reply_with = if flags & 1 != 0 { Some(r.u64("reply_with")?) } else { None };
        let in_reply_to = if flags & 2 != 0 { Some(r.u64("in_reply_to")?) } else { None };
        let language = r.text("language")?;
        let ontology = r.text("ontology")?;
        let len = r.u32("payload")? as usize;
        let payload = Bytes::copy_from_slice(r.take("payload", len)?);
        if r.pos != bytes.len() {
            return Err(CodecError::Trailing(bytes.len() - r.pos));
        }
        Ok(AclMessage {
            performative,
            sender,
            receivers,
            conversation_id,
            reply_with,
            in_reply_to,
            language,
            ontology,
            payload,
        })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, field: &'static str, n: usize) -> Result<&'a [u8], CodecError> {
        let rest = self.bytes.len() - self.pos;
        if rest < n {
            return Err(CodecError::Truncated { field, offset: self.pos, needed: n - rest });
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], CodecError> {
        Ok(self.take(field, N)?.try_into().expect("take returned N bytes"))
    }
    fn u8(&mut self, field: &'static str) -> Result<u8, CodecError> {
        Ok(self.array::<1>(field)?[0])
    }
    fn u16(&mut self, field: &'static str) -> Result<u16, CodecError> {
        Ok(u16::from_le_bytes(self.array(field)?))
    }
    fn u32(&mut self, field: &'static str) -> Result<u32, CodecError> {
        Ok(u32::from_le_bytes(self.array(field)?))
    }
    fn u64(&mut self, field: &'static str) -> Result<u64, CodecError> {
        Ok(u64::from_le_bytes(self.array(field)?))
    }
    fn text(&mut self, field: &'static str) -> Result<Option<String>, CodecError> {
        let len = self.u16(field)? as usize;
        let raw = self.take(field, len)?;
        let s = std::str::from_utf8(raw).map_err(|_| CodecError::Utf8(field))?;
        Ok((!s.is_empty()).then(|| s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample(p: Performative) -> AclMessage {
        AclMessage {
            performative: p,
            sender: AgentId(7),
            receivers: vec![AgentId(1), AgentId(2)],
            conversation_id: ConversationId(99),
            reply_with: Some(5),
            in_reply_to: None,
            language: Some("fipa-sl".into()),
            ontology: Some("scheduling".into()),
            payload: Bytes::from_static(b"(deadline 10)"),
        }
    }

    #[test]
    fn thirteen_performatives_round_trip_in_both_encodings() {
        assert_eq!(Performative::ALL.len(), 13);
        for p in Performative::ALL {
            let m = sample(p);
            let mut bin = Vec::new();
            m.encode_binary(&mut bin).unwrap();
            assert_eq!(bin.len(), m.binary_len());
            assert_eq!(AclMessage::decode_binary(&bin).unwrap(), m);
            let json = serde_json::to_string(&m).unwrap();
            assert!(json.contains(&format!("\"{}\"", p.name())), "{json}");
            assert_eq!(serde_json::from_str::<AclMessage>(&json).unwrap(), m);
        }
    }

    #[test]
    fn every_truncation_is_an_error_naming_the_field() {
        let mut bin = Vec::new();
        sample(Performative::Cfp).encode_binary(&mut bin).unwrap();
        for cut in 0..bin.len() {
            let e = AclMessage::decode_binary(&bin[..cut]).unwrap_err();
            assert!(matches!(e, CodecError::Truncated { .. }), "cut {cut}: {e}");
        }
        bin.push(0);
        assert_eq!(AclMessage::decode_binary(&bin).unwrap_err(), CodecError::Trailing(1));
    }

    #[test]
    fn malformed_headers_are_typed_errors() {
        let mut bin = Vec::new();
        sample(Performative::Inform).encode_binary(&mut bin).unwrap();
        let mut v = bin.clone();
        v[0] = 9;
        assert_eq!(AclMessage::decode_binary(&v).unwrap_err(), CodecError::Version(9));
        let mut v = bin.clone();
        v[1] = 13;
        assert_eq!(AclMessage::decode_binary(&v).unwrap_err(), CodecError::Performative(13));
        // Corrupt the first byte of the language text ("fipa-sl") into invalid UTF-8.
        let lang_at = 1 + 1 + 8 + 2 + 16 + 8 + 1 + 8 + 2;
        let mut v = bin;
        v[lang_at] = 0xFF;
        assert_eq!(AclMessage::decode_binary(&v).unwrap_err(), CodecError::Utf8("language"));
    }

    proptest! {
        #[test]
        fn binary_round_trips(
            p in 0u8..13, sender: u64, receivers in prop::collection::vec(any::<u64>(), 0..8), conv: u64,
            reply_with: Option<u64>, in_reply_to: Option<u64>, language in "[a-z-]{0,12}",
            payload in prop::collection::vec(any::<u8>(), 0..512),
        ) {
            let m = AclMessage {
                performative: Performative::from_code(p).unwrap(),
                sender: AgentId(sender),
                receivers: receivers.into_iter().map(AgentId).collect(),
                conversation_id: ConversationId(conv),
                reply_with,
                in_reply_to,
                language: (!language.is_empty()).then_some(language),
                ontology: None,
                payload: payload.into(),
            };
            let mut bin = Vec::new();
            m.encode_binary(&mut bin).unwrap();
            prop_assert_eq!(AclMessage::decode_binary(&bin).unwrap(), m);
        }

        #[test]
        fn whatever_decodes_re_encodes_to_the_same_bytes(bytes in prop::collection::vec(any::<u8>(), 0..128)) {
            // Arbitrary input never panics, and the encoding is canonical: accepted bytes are
            // exactly what encoding the decoded message produces.
            if let Ok(m) = AclMessage::decode_binary(&bytes) {
                let mut again = Vec::new();
                m.encode_binary(&mut again).unwrap();
                prop_assert_eq!(again, bytes);
            }
        }

        #[test]
        fn valid_prefix_with_bad_flags_is_rejected(flags in 4u8..=255) {
            let mut bin = Vec::new();
            sample(Performative::Agree).encode_binary(&mut bin).unwrap();
            bin[1 + 1 + 8 + 2 + 16 + 8] = flags;
            prop_assert_eq!(AclMessage::decode_binary(&bin).unwrap_err(), CodecError::Flags(flags));
        }
    }
}
