//! CFCA-style electronic seals (电子签章, DESIGN §7): certificates, seal signatures, verification.
