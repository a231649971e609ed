//! Kubernetes `Quantity` parsing (k8s.io/apimachinery/pkg/api/resource).

/// A parsed quantity. TODO(helper A): full implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quantity {
    _private: (),
}

/// Why a quantity string did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")]
pub struct QuantityError;

impl Quantity {
    /// Parses `s`.
    pub fn parse(_s: &str) -> Result<Quantity, QuantityError> {
        todo!()
    }
    /// `Value()`: the value rounded up to an integer.
    pub fn value(&self) -> i64 {
        todo!()
    }
    /// `MilliValue()`: the value × 1000 rounded up to an integer.
    pub fn milli_value(&self) -> i64 {
        todo!()
    }
}
