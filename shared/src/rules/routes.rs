//! The authorizer's route table.
