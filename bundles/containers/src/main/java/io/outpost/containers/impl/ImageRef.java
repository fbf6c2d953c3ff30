package io.outpost.containers.impl;

/** Splits image references into repository and tag (or digest), as the pull API wants them. */
final class ImageRef {
  private ImageRef() {}

  /** {@code [repository, tag]}; the tag is {@code latest} when the reference names none. */
  static String[] split(String image) {
    int at = image.indexOf('@');
    if (at >= 0) {
      return new String[] {image.substring(0, at), image.substring(at + 1)};
    }
    int colon = image.lastIndexOf(':');
    int slash = image.lastIndexOf('/');
    if (colon > slash) {
      return new String[] {image.substring(0, colon), image.substring(colon + 1)};
    }
    return new String[] {image, "latest"};
  }
}
