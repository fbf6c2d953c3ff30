package io.outpost.bridge.admission;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.function.Predicate;

/** Test access to the webhook's review of one AdmissionReview body, without its HTTPS server. */
public final class AdmissionReviews {
  private AdmissionReviews() {}

  /** The JSON mapper the webhook reads and writes reviews with. */
  public static ObjectMapper mapper() {
    return AdmissionWebhook.mapper();
  }

  /** As {@link AdmissionWebhook#review}: the response to {@code body}, or a refusal exception. */
  public static ObjectNode review(ObjectMapper json, byte[] body, Predicate<String> isEdgeNode, String labelKey,
      String labelValue) throws IOException {
    return AdmissionWebhook.review(json, body, isEdgeNode, labelKey, labelValue);
  }
}
