//! `xtcmk-sim`: a local HTTPS simulator of Entra ID, Microsoft Graph, ARM, Key Vault and Atlas.
