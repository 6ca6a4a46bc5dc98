export { createCertificateAuthority, createSigningKeyPair } from "./certificates.ts";
