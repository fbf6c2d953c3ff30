package io.outpost.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TopicsTest {
  @Test
  void buildsAndParsesPerNodeTopics() {
    assertThat(Topics.down("edge-1")).isEqualTo("outpost/v1/edge-1/down");
    String up = Topics.up("edge-1", Topics.Up.STATUS);
    assertThat(up).isEqualTo("outpost/v1/edge-1/up/status");
    assertThat(Topics.parseUp(up)).contains(new Topics.UpTopic("edge-1", Topics.Up.STATUS));
  }

  @Test
  void refusesNamesThatCouldEscapeTheSubtree() {
    assertThatThrownBy(() -> Topics.down("a/b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Topics.down("+")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Topics.down("#")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Topics.down("Edge")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Topics.down("a..b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Topics.down("a.-b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Topics.down("x".repeat(254))).isInstanceOf(IllegalArgumentException.class);
    assertThat(Topics.isValidNodeName("edge-1.site-42.example")).isTrue();
    assertThat(Topics.parseUp("outpost/v1/a/b/up/status")).isEmpty();
    assertThat(Topics.parseUp("outpost/v1/a/up/unknown")).isEmpty();
    assertThat(Topics.parseUp("outpost/v1/a/down")).isEmpty();
    assertThat(Topics.parseUp("other/v1/a/up/status")).isEmpty();
  }
}
