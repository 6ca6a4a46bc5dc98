export { BUILD_ONLY_PACKAGES, IMAGE_MODULE_DIR, type ModuleFiles, type NpmPackage } from "./app-layers.ts";
export {
  buildImage,
  IMAGE_USER,
  type ImageBuildOptions,
  type ImageBuildResult,
  splitReference,
} from "./build-image.ts";
export { BASE_PACKAGES, type DebianPackage } from "./debian-base.ts";
export { MediaType } from "./oci-layout.ts";
export { isLoopbackRegistry, pushImage, remoteDigest, SKOPEO_MISSING } from "./push.ts";
export { deterministicTar, type LayerEntry } from "./tar.ts";
