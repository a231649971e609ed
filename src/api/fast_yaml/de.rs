//! Plain-scalar resolution and a serde `Deserializer` over the fast tree that does what
//! serde-saphyr does for the shapes it accepts, and refuses ([`Bail`]) everything else, so the
//! general reader decides (and words any error).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::parse::{Bail, Node, R};

/// How serde-saphyr resolves a scalar in an untyped position (`serde_json::Value`, quantities).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Class {
    /// A quoted scalar: always a string.
    Quoted,
    /// Plain `""`, `~`, `null`, `Null`, `NULL`.
    Null,
    /// Plain `true` / `false`.
    Bool(bool),
    /// A plain decimal integer.
    U64(u64),
    I64(i64),
    /// A plain scalar that is a string.
    Str,
    /// A plain scalar resolved by asking serde-saphyr itself (`0x1f`, `1e3`, `yes`, `10.0.0.1`).
    Probed(Probed),
}

/// What serde-saphyr's `deserialize_any` visited for a plain scalar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Probed {
    Unit,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str,
}

/// Resolves a plain scalar's text. Cheap rules cover identifiers, quantities and small
/// integers; the rest (rare) is resolved by serde-saphyr on the scalar alone, which is the same
/// plain scalar: an error there (`.inf`, refused by the untyped reading) is a [`Bail`].
pub fn classify(t: &str) -> R<Class> {
    let b = t.as_bytes();
    match t {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Class::Null),
        "true" => return Ok(Class::Bool(true)),
        "false" => return Ok(Class::Bool(false)),
        _ => {}
    }
    if b[0].is_ascii_alphabetic() {
        const SPECIAL: [&str; 11] =
            ["y", "n", "yes", "no", "on", "off", "true", "false", "inf", "nan", "infinity"];
        if t.len() > 8 || !SPECIAL.iter().any(|s| s.eq_ignore_ascii_case(t)) {
            return Ok(Class::Str);
        }
        return probe(t);
    }
    let digits = t.strip_prefix('-').unwrap_or(t);
    if !digits.is_empty()
        && digits.len() <= 18
        && digits.bytes().all(|c| c.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && t != "-0"
    {
        let v: i64 = t.parse().map_err(|_| Bail)?;
        return Ok(if t.starts_with('-') { Class::I64(v) } else { Class::U64(v as u64) });
    }
    // Every character a number, a radix prefix, `.inf`/`.nan` or a sexagesimal can hold.
    const NUMERIC: &[u8] = b"0123456789abcdefABCDEFxXoObB.+-_:iInNtTyY";
    // No number has two dots (addresses such as `10.0.0.1`).
    if b.iter().any(|c| !NUMERIC.contains(c)) || b.iter().filter(|&&c| c == b'.').count() > 1 {
        return Ok(Class::Str);
    }
    probe(t)
}

struct ProbeValue(Probed);

impl<'de> de::Deserialize<'de> for ProbeValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ProbeValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar")
            }
            fn visit_unit<E: de::Error>(self) -> Result<ProbeValue, E> {
                Ok(ProbeValue(Probed::Unit))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ProbeValue, E> {
                Ok(ProbeValue(Probed::Bool(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ProbeValue, E> {
                Ok(ProbeValue(Probed::U64(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ProbeValue, E> {
                Ok(ProbeValue(Probed::I64(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ProbeValue, E> {
                Ok(ProbeValue(Probed::F64(v)))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<ProbeValue, E> {
                Ok(ProbeValue(Probed::Str))
            }
        }
        d.deserialize_any(V)
    }
}

fn probe(t: &str) -> R<Class> {
    serde_saphyr::from_str_with_options::<ProbeValue>(t, crate::api::yaml::options())
        .map(|p| Class::Probed(p.0))
        .map_err(|_| Bail)
}

impl fmt::Display for Bail {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("not handled by the fast reader")
    }
}

impl std::error::Error for Bail {}

impl de::Error for Bail {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Bail
    }
}

/// Deserializes from one node of the tree.
pub struct De<'n, 'a>(pub &'n Node<'a>);

macro_rules! ints {
    ($($method:ident $visit:ident $t:ty),*) => {$(
        fn $method<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
            match self.0 {
                Node::Scalar(s) => match s.class {
                    Class::U64(n) => v.$visit(<$t>::try_from(n).map_err(|_| Bail)?),
                    Class::I64(n) => v.$visit(<$t>::try_from(n).map_err(|_| Bail)?),
                    _ => Err(Bail),
                },
                _ => Err(Bail),
            }
        }
    )*};
}

macro_rules! refuse {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, _: V) -> R<V::Value> {
            Err(Bail)
        }
    )*};
}

impl<'de> Deserializer<'de> for De<'_, '_> {
    type Error = Bail;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        match self.0 {
            Node::Scalar(s) => match s.class {
                Class::Quoted | Class::Str | Class::Probed(Probed::Str) => v.visit_str(&s.text),
                Class::Null | Class::Probed(Probed::Unit) => v.visit_unit(),
                Class::Bool(b) | Class::Probed(Probed::Bool(b)) => v.visit_bool(b),
                Class::U64(n) | Class::Probed(Probed::U64(n)) => v.visit_u64(n),
                Class::I64(n) | Class::Probed(Probed::I64(n)) => v.visit_i64(n),
                Class::Probed(Probed::F64(f)) => v.visit_f64(f),
            },
            Node::Map(..) => self.deserialize_map(v),
            Node::Seq(..) => self.deserialize_seq(v),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        match self.0 {
            Node::Scalar(s) => match s.class {
                Class::Bool(b) => v.visit_bool(b),
                _ => Err(Bail),
            },
            _ => Err(Bail),
        }
    }

    ints!(deserialize_i8 visit_i8 i8, deserialize_i16 visit_i16 i16, deserialize_i32 visit_i32 i32,
        deserialize_i64 visit_i64 i64, deserialize_u8 visit_u8 u8, deserialize_u16 visit_u16 u16,
        deserialize_u32 visit_u32 u32, deserialize_u64 visit_u64 u64);

    refuse!(deserialize_f32, deserialize_f64, deserialize_char, deserialize_bytes, deserialize_byte_buf);

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        match self.0 {
            Node::Scalar(s) if s.class != Class::Null => v.visit_str(&s.text),
            _ => Err(Bail),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        self.deserialize_str(v)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        self.deserialize_str(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        match self.0 {
            Node::Scalar(s) if s.class == Class::Null => v.visit_none(),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        match self.0 {
            Node::Scalar(s) if s.class == Class::Null => v.visit_unit(),
            _ => Err(Bail),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, _: V) -> R<V::Value> {
        Err(Bail)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, v: V) -> R<V::Value> {
        if name.starts_with("__") {
            return Err(Bail);
        }
        v.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        match self.0 {
            Node::Seq(items) => {
                let mut access = SeqDe(items.iter());
                let out = v.visit_seq(&mut access)?;
                if access.0.len() == 0 { Ok(out) } else { Err(Bail) }
            }
            _ => Err(Bail),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, _: V) -> R<V::Value> {
        Err(Bail)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _: &'static str, _: usize, _: V) -> R<V::Value> {
        Err(Bail)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        match self.0 {
            Node::Map(entries, _) => {
                let mut access = MapDe { entries: entries.iter(), value: None };
                let out = v.visit_map(&mut access)?;
                if access.entries.len() == 0 { Ok(out) } else { Err(Bail) }
            }
            _ => Err(Bail),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> R<V::Value> {
        if name.starts_with("__") {
            return Err(Bail);
        }
        self.deserialize_map(v)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> R<V::Value> {
        Err(Bail)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        v.visit_unit()
    }
}

struct SeqDe<'n, 'a>(std::slice::Iter<'n, Node<'a>>);

impl<'de> SeqAccess<'de> for SeqDe<'_, '_> {
    type Error = Bail;
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> R<Option<T::Value>> {
        self.0.next().map(|n| seed.deserialize(De(n))).transpose()
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct MapDe<'n, 'a> {
    entries: std::slice::Iter<'n, (Node<'a>, Node<'a>)>,
    value: Option<&'n Node<'a>>,
}

impl<'de> MapAccess<'de> for MapDe<'_, '_> {
    type Error = Bail;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> R<Option<K::Value>> {
        match self.entries.next() {
            None => Ok(None),
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(De(k)).map(Some)
            }
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> R<V::Value> {
        seed.deserialize(De(self.value.take().ok_or(Bail)?))
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}
