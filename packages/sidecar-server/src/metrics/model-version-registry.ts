import { createModelVersionFigures, type ModelVersionFigures } from "./model-version-figures.js";

/** The figures of every model version a batcher was created for, one entry per version. */
export interface ModelVersionRegistry {
  /** The figures of `model` `version`, created on first use and the same ever after. */
  figuresOf(model: string, version: string): ModelVersionFigures;
  /** In the order the versions were first seen. */
  all(): Iterable<ModelVersionFigures>;
}

export function createModelVersionRegistry(): ModelVersionRegistry {
  // Keyed by both names joined with NUL, which neither a model name nor a version contains.
  const entries = new Map<string, ModelVersionFigures>();
  return {
    figuresOf(model, version) {
      const key = `${model}\0${version}`;
      let figures = entries.get(key);
      if (figures === undefined) {
        figures = createModelVersionFigures(model, version);
        entries.set(key, figures);
      }
      return figures;
    },
    all: () => entries.values(),
  };
}
