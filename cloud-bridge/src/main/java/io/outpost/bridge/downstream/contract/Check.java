package io.outpost.bridge.downstream.contract;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * When a field's value is refused: judged on the field's JSON value as the API server stores it (never null;
 * a missing field is not judged). {@code reason} is the rule's reason, for checks that refuse with it as it is.
 */
@FunctionalInterface
public interface Check {
  List<Finding> judge(JsonNode value, String reason);
}
