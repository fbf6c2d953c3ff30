package io.outpost.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ContentHashTest {
  private final Codec codec = new Codec();

  @Test
  void theHashDependsOnContentNotOnMapOrder() {
    Map<String, String> ascending = new TreeMap<>(Map.of("a", "1", "b", "2", "c", "3"));
    Map<String, String> descending = new LinkedHashMap<>();
    descending.put("c", "3");
    descending.put("b", "2");
    descending.put("a", "1");
    String hash = ContentHash.of(new ConfigMapV1(ascending, null));
    assertThat(hash).matches("[0-9a-f]{32}");
    assertThat(ContentHash.of(new ConfigMapV1(descending, null))).isEqualTo(hash);
    assertThat(ContentHash.of(new ConfigMapV1(new HashMap<>(descending), null))).isEqualTo(hash);
    assertThat(ContentHash.of(new ConfigMapV1(Map.of("a", "1", "b", "2", "c", "4"), null))).isNotEqualTo(hash);
  }

  @Test
  void digestsNameAnObjectByItsHashWhenItHasOne() {
    ObjectRef atTen = new ObjectRef("Pod", "shop", "web", "u1", "10", "0123456789abcdef0123456789abcdef");
    ObjectRef atTwelve = new ObjectRef("Pod", "shop", "web", "u1", "12", "0123456789abcdef0123456789abcdef");
    assertThat(ResyncRequest.digestOf(List.of(atTen))).isEqualTo(ResyncRequest.digestOf(List.of(atTwelve)));
    assertThat(atTen.sameContent(atTwelve)).isTrue();
    ObjectRef withoutHash = new ObjectRef("Pod", "shop", "web", "u1", "10");
    assertThat(withoutHash.sameContent(atTen)).isFalse();
    assertThat(ResyncRequest.digestOf(List.of(withoutHash)))
        .isNotEqualTo(ResyncRequest.digestOf(List.of(atTen)));
    ObjectRef otherIncarnation = new ObjectRef("Pod", "shop", "web", "u2", "12", atTen.hash());
    assertThat(atTen.sameContent(otherIncarnation)).isFalse();
  }

  @Test
  void aMalformedHashIsRejected() {
    String json = """
        {"v":1,"epoch":1,"seq":1,"op":"UPSERT","ref":{"kind":"ConfigMap","namespace":"shop","name":"cfg","uid":"u",
         "resourceVersion":"3","hash":"NOT-HEX"},"configMap":{"data":{"a":"b"}}}""";
    assertThatThrownBy(() -> codec.decode(json.getBytes(StandardCharsets.UTF_8), Downstream.class))
        .isInstanceOf(ProtocolException.class).hasMessageContaining("ref.hash");
  }

  @Test
  void theHashTravelsInTheRef() throws Exception {
    ObjectRef ref = new ObjectRef("ConfigMap", "shop", "cfg", "u", "3")
        .withHash(ContentHash.of(new ConfigMapV1(Map.of("a", "b"), null)));
    Downstream decoded = codec.decode(codec.encode(Downstream.upsertConfigMap(1, 1, ref,
        new ConfigMapV1(Map.of("a", "b"), null))), Downstream.class);
    assertThat(decoded.ref()).isEqualTo(ref);
    assertThat(new String(codec.encode(decoded), StandardCharsets.UTF_8)).doesNotContain("contentVersion");
  }
}
