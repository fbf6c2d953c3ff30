package io.outpost.containers.impl;

import com.github.dockerjava.api.async.ResultCallback;

/** Collects log frames, keeping at most the newest {@code maxBytes}. */
final class LogCollector extends ResultCallback.Adapter<com.github.dockerjava.api.model.Frame> {
  private final int maxBytes;
  private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
  private boolean truncated;

  LogCollector(int maxBytes) {
    this.maxBytes = maxBytes;
  }

  @Override
  public synchronized void onNext(com.github.dockerjava.api.model.Frame frame) {
    out.writeBytes(frame.getPayload());
    if (out.size() > maxBytes * 2) {
      keepNewest();
    }
  }

  private void keepNewest() {
    byte[] all = out.toByteArray();
    out.reset();
    out.write(all, all.length - maxBytes, maxBytes);
    truncated = true;
  }

  synchronized String text() {
    if (out.size() > maxBytes) {
      keepNewest();
    }
    String text = out.toString(java.nio.charset.StandardCharsets.UTF_8);
    return truncated ? "[... older log lines left out: more than " + maxBytes + " bytes]\n" + text : text;
  }
}
