//! Unit tests of DefaultPreemption.
