//! KTRDR tools component.
