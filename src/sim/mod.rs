//! The discrete-event engine: integer virtual time, the (time, sequence) event queue, seeded
//! random streams, and the run loop.

pub mod engine;
pub mod event;
pub mod queue;
