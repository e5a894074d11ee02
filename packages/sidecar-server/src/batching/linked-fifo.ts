/** A value's place in a LinkedFifo; whoever holds it can remove the value in O(1). */
export interface FifoNode<T> {
  readonly value: T;
}

class Node<T> implements FifoNode<T> {
  prev: Node<T> | undefined = undefined;
  next: Node<T> | undefined = undefined;
  owner: LinkedFifo<T> | undefined;

  constructor(
    readonly value: T,
    owner: LinkedFifo<T>,
  ) {
    this.owner = owner;
  }
}

/**
 * A doubly linked FIFO. Queued requests leave from the middle when they are cancelled or
 * expire; an array would make that O(n) (and `Array.shift` is O(n) too), a list makes both O(1).
 */
export class LinkedFifo<T> {
  #head: Node<T> | undefined;
  #tail: Node<T> | undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(value: T): FifoNode<T> {
    const node = new Node(value, this);
    if (this.#tail === undefined) {
      this.#head = node;
    } else {
      this.#tail.next = node;
      node.prev = this.#tail;
    }
    this.#tail = node;
    this.#size++;
    return node;
  }

  peek(): T | undefined {
    return this.#head?.value;
  }

  /** Removes the node if it is still in this list; false when it was already removed. */
  remove(handle: FifoNode<T>): boolean {
    if (!(handle instanceof Node) || handle.owner !== this) return false;
    const node: Node<T> = handle;
    if (node.prev === undefined) this.#head = node.next;
    else node.prev.next = node.next;
    if (node.next === undefined) this.#tail = node.prev;
    else node.next.prev = node.prev;
    node.prev = undefined;
    node.next = undefined;
    node.owner = undefined;
    this.#size--;
    return true;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let node = this.#head; node !== undefined; node = node.next) yield node.value;
  }
}

export function createLinkedFifo<T>(): LinkedFifo<T> {
  return new LinkedFifo<T>();
}
