#!/usr/bin/env node
// FAKE nvidia-smi, for machines without a GPU: it answers the one query GPU discovery makes
// (`--query-gpu=index,uuid,name,memory.total --format=csv,noheader,nounits`) with simulated
// GPUs whose names say they are fake. FAKE_GPU_COUNT sets how many (default 2).
const count = Number(process.env.FAKE_GPU_COUNT ?? "2");
for (let index = 0; index < count; index++) {
  const uuid = `GPU-FAKE0000-0000-0000-0000-${String(index).padStart(12, "0")}`;
  process.stdout.write(
    `${index}, ${uuid}, FAKE GPU ${index} (simulated by fake-nvidia-smi), 81559\n`,
  );
}
