/**
 * Image events without touching the image service: `withImageEvents` returns
 * the same service with tag, remove, importTar, load and save publishing what
 * dockerd publishes after each succeeds (every other method, including ones
 * added later, passes through unchanged):
 *
 * - tag: `tag` (name = the new reference, familiar form)
 * - remove: `untag` per removed reference, `delete` per deleted image (name = the image ID)
 * - importTar: `tag` (when a reference is given), then `import`
 * - load: `load` per image; save: `save` per image
 *
 * Image events carry the image's labels as attributes, as moby's LogImageEvent.
 */
import { familiarString, parseNormalizedTagged } from '../../common/reference';
import type { Image, ImageService } from '../images/types';
import type { EventSink } from './types';

type Lookup = Pick<ImageService, 'get'>;

async function labelsOf(images: Lookup, id: string): Promise<Record<string, string>> {
  try {
    const img: Image = await images.get(id);
    return { ...(img.config.config?.Labels ?? {}) };
  } catch {
    return {};
  }
}

/** Publishes one image event (labels looked up; a vanished image has none). */
export async function publishImageEvent(
  sink: EventSink,
  images: Lookup,
  action: string,
  id: string,
  name: string,
): Promise<void> {
  const attributes = { ...(await labelsOf(images, id)), name };
  sink.publish({ type: 'image', action, actor: { id, attributes } });
}

function familiarTag(reference: string): string {
  try {
    return familiarString(parseNormalizedTagged(reference));
  } catch {
    return reference;
  }
}

export function withImageEvents<T extends ImageService>(images: T, sink: EventSink): T {
  const overrides: Partial<ImageService> = {
    async tag(source, repository, tag) {
      await images.tag(source, repository, tag);
      const img = await images.get(source).catch(() => undefined);
      if (img === undefined) return;
      const name = familiarTag(tag === undefined || tag === '' ? repository : `${repository}:${tag}`);
      await publishImageEvent(sink, images, 'tag', img.id, name);
    },
    async remove(reference, options) {
      const before = await images.get(reference).catch(() => undefined);
      const labels = before === undefined ? {} : { ...(before.config.config?.Labels ?? {}) };
      const result = await images.remove(reference, options);
      for (const item of result) {
        if (item.untagged !== undefined && before !== undefined) {
          sink.publish({
            type: 'image',
            action: 'untag',
            actor: { id: before.id, attributes: { ...labels, name: before.id } },
          });
        }
        if (item.deleted !== undefined) {
          const own = before !== undefined && item.deleted === before.id ? labels : {};
          sink.publish({
            type: 'image',
            action: 'delete',
            actor: { id: item.deleted, attributes: { ...own, name: item.deleted } },
          });
        }
      }
      return result;
    },
    async importTar(input, options, progress) {
      const id = await images.importTar(input, options, progress);
      if (options.reference !== undefined && options.reference !== '') {
        await publishImageEvent(sink, images, 'tag', id, familiarTag(options.reference));
      }
      await publishImageEvent(sink, images, 'import', id, id);
      return id;
    },
    async load(input, progress) {
      const result = await images.load(input, progress);
      const seen = new Set<string>();
      for (const { id } of result.loaded) {
        if (seen.has(id)) continue;
        seen.add(id);
        await publishImageEvent(sink, images, 'load', id, id);
      }
      return result;
    },
    async save(references, output) {
      const ids: string[] = [];
      for (const ref of references) {
        const img = await images.get(ref).catch(() => undefined);
        if (img !== undefined && !ids.includes(img.id)) ids.push(img.id);
      }
      await images.save(references, output);
      for (const id of ids) await publishImageEvent(sink, images, 'save', id, id);
    },
  };
  return new Proxy(images, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && Object.hasOwn(overrides, prop)) return overrides[prop as keyof ImageService];
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
