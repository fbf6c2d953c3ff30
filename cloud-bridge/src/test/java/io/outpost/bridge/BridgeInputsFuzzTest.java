package io.outpost.bridge;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.bridge.admission.AdmissionReviews;
import io.outpost.bridge.join.JoinServiceParsing;
import java.io.IOException;

/**
 * Coverage-guided fuzzing (Jazzer) of the bridge's parsers of external input that do not go through the wire codec
 * (that one is fuzzed in the protocol module): AdmissionReview bodies from the API server and join/renewal requests
 * from the internet. Whatever the bytes, each returns a result or refuses with its counted reason —
 * {@link IllegalArgumentException}/{@link IOException} for reviews (answered 400 {@code malformed}), a refusal
 * with a reason for join requests — and nothing else escapes. Fixed budget in the suite ({@code JAZZER_FUZZ=1} in
 * this module's surefire configuration).
 */
class BridgeInputsFuzzTest {
  private static final ObjectMapper JSON = AdmissionReviews.mapper();

  @FuzzTest(maxDuration = "20s")
  void parseExternalInput(FuzzedDataProvider data) {
    boolean admission = data.consumeBoolean();
    byte[] body = data.consumeRemainingAsBytes();
    if (admission) {
      try {
        if (AdmissionReviews.review(JSON, body, node -> node.startsWith("edge"), "outpost.io/edge", "true")
            == null) {
          throw new AssertionError("no answer");
        }
      } catch (IllegalArgumentException | IOException e) {
        // refused: answered 400 and counted as malformed
      }
    } else {
      String reason = JoinServiceParsing.refusalReason(body);
      if (reason != null && reason.isEmpty()) {
        throw new AssertionError("a refusal without a reason");
      }
    }
  }
}
