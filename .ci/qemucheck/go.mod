// Throw-away module used only by .ci/run: it proves that the emulator really
// exposes (or hides) RDPID and RDTSCP as each QEMU_CPU setting asks, so the
// asm tests that follow exercise the paths we think they do.
module readmostly.ci/qemucheck

go 1.24
