package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The kubelet's $(VAR) expansion, case by case (the cases of Kubernetes' own expansion tests). */
class ExpansionTest {
  private static final Map<String, String> VARS = Map.of("VAR_A", "A", "VAR_B", "B", "VAR_C", "C",
      "VAR_REF", "$(VAR_A)", "VAR_EMPTY", "");

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "$(VAR_A)|A",
      "___$(VAR_B)___|___B___",
      "$(VAR_A)-$(VAR_A)|A-A",
      "$(VAR_A)-1|A-1",
      "$(VAR_A)_$(VAR_B)_$(VAR_C)|A_B_C",
      "$$(VAR_B)_$(VAR_A)|$(VAR_B)_A",
      "$$(VAR_A)_$$(VAR_B)|$(VAR_A)_$(VAR_B)",
      "f000-$$VAR_A|f000-$VAR_A",
      "foo\\\\$(VAR_C)bar|foo\\\\Cbar",
      "$(VAR_REF)|$(VAR_A)",
      "$(VAR_EMPTY)|''",
      "$(VAR_A)$(VAR_B)|AB",
      "$(UNKNOWN)|$(UNKNOWN)",
      "$(VAR_A|$(VAR_A",
      "$VAR_A|$VAR_A",
      "$|$",
      "$$|$",
      "$$$(VAR_A)|$A",
      "$$$$(VAR_A)|$$(VAR_A)",
      "$()|$()",
      "($(VAR_A))|(A)",
      "no references|no references",
  })
  void expandsAsTheKubelet(String input, String expected) {
    assertThat(Expansion.expand(input, VARS)).isEqualTo(expected);
  }

  @Test
  void commandAndArgsExpandEachWordAndLeaveAnAbsentListAbsent() {
    Map<String, String> env = Expansion.variables(List.of("N=3", "EMPTY=", "X=a=b"));
    assertThat(env).containsEntry("N", "3").containsEntry("EMPTY", "").containsEntry("X", "a=b");
    assertThat(Expansion.expand(List.of("sleep", "$(N)", "$$(N)"), env)).containsExactly("sleep", "3", "$(N)");
    assertThat(Expansion.expand((List<String>) null, env)).isNull();
  }
}
