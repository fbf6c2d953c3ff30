package io.outpost.rollout;

/**
 * What installing an artifact did: {@code result} is {@code installed}, {@code unchanged} (that version runs
 * already), {@code rolled_back} (the new revision failed its health gate; the previous one runs again),
 * {@code refused} (nothing was changed: see {@code reason}) or {@code failed} (the rollback failed too).
 */
public record InstallOutcome(String result, String bundle, String previousVersion, String reason) {
  public boolean installed() {
    return "installed".equals(result) || "unchanged".equals(result);
  }

  static InstallOutcome refused(String bundle, String reason) {
    return new InstallOutcome("refused", bundle, null, reason);
  }
}
