export {
  authorityFromPem,
  createCertificateAuthority,
  createSigningKeyPair,
  type KeyPairPem,
  type LeafRequest,
} from "./certificates.ts";
export {
  type CertificateBundle,
  joinPem,
  newCertificateBundle,
  nextRotationStep,
  pemCertificates,
  type RotationPolicy,
  type RotationStep,
} from "./rotation-plan.ts";
