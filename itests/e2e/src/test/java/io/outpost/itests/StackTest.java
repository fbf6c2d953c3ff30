package io.outpost.itests;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/** One {@link OutpostStack} per test class: started before its first test, removed after its last. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class StackTest {
  protected OutpostStack stack;

  @BeforeAll
  void startStack() throws Exception {
    stack = new OutpostStack();
  }

  @AfterAll
  void stopStack() throws Exception {
    if (stack != null) {
      stack.close();
    }
  }
}
