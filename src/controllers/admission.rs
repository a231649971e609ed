//! Admission on pod creation (being written).
