//! sec-sequencer
