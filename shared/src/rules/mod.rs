//! Decisions as pure functions: which pet a user gets, which routes a token may call.

pub mod pet;
pub mod routes;

pub use pet::{
    Assignment, Basis, DEFAULT_PET, DEFAULT_PET_VAR, DomainRule, EmailCheck, PET_ATTRIBUTE,
    PET_CLAIM, Pet, PetRules, assign_pet, parse_pet_setting,
};
