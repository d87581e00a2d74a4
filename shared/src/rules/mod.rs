//! Decisions as pure functions: which pet a user gets. (Which routes a token
//! may call is the authorizer's Cedar policy store.) It uses [`crate::config`]
//! and [`crate::error`]; the trigger and the local app page use it.

pub mod pet;

pub use pet::{
    Assignment, Basis, DEFAULT_PET, DEFAULT_PET_VAR, DomainRule, EmailCheck, PET_ATTRIBUTE,
    PET_CLAIM, Pet, PetRules, assign_pet, parse_pet_setting,
};
