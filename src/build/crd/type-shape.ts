import ts from "typescript-api";
import { CrdSourceError, type PropertyShape, type TypeShape } from "./shapes.ts";

/** Turns checker types into shapes; `where` (file and type) prefixes every error. */
export class TypeShaper {
  readonly #checker: ts.TypeChecker;
  readonly #where: string;
  readonly #visiting = new Set<ts.Type>();

  constructor(checker: ts.TypeChecker, where: string) {
    this.#checker = checker;
    this.#where = where;
  }

  /** The properties of an object type (an interface or an object type alias). */
  objectShape(type: ts.Type, path: string): TypeShape & { kind: "object" } {
    const shape = this.shapeOf(type, path, false);
    if (shape.kind !== "object") throw this.#error(path, `must be an object type, not ${this.#text(type)}`);
    return shape;
  }

  shapeOf(type: ts.Type, path: string, integer: boolean): TypeShape {
    const flags = type.flags;
    if (flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return { kind: "unknown" };
    if (flags & ts.TypeFlags.StringLiteral) return { kind: "enum", values: [(type as ts.StringLiteralType).value] };
    if (flags & ts.TypeFlags.NumberLiteral) return { kind: "enum", values: [(type as ts.NumberLiteralType).value] };
    if (flags & ts.TypeFlags.String) return { kind: "string" };
    if (flags & ts.TypeFlags.Number) return { kind: integer ? "integer" : "number" };
    if (flags & ts.TypeFlags.BooleanLike) return { kind: "boolean" };
    if (type.isUnion()) return this.#unionShape(type, path, integer);
    if (flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection)) return this.#objectLikeShape(type, path, integer);
    throw this.#error(path, `has type ${this.#text(type)}, which a CRD schema cannot express`);
  }

  #unionShape(union: ts.UnionType, path: string, integer: boolean): TypeShape {
    const members = union.types.filter((member) => !(member.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)));
    if (members.every((member) => member.flags & ts.TypeFlags.BooleanLiteral)) return { kind: "boolean" };
    if (members.every((member) => member.isStringLiteral()))
      return { kind: "enum", values: members.map((member) => (member as ts.StringLiteralType).value) };
    if (members.every((member) => member.isNumberLiteral()))
      return { kind: "enum", values: members.map((member) => (member as ts.NumberLiteralType).value) };
    const [only] = members;
    if (members.length === 1 && only) return this.shapeOf(only, path, integer);
    throw this.#error(
      path,
      `has the union ${this.#text(union)}; only unions of string literals or of number literals are supported`,
    );
  }

  #objectLikeShape(type: ts.Type, path: string, integer: boolean): TypeShape {
    if (this.#checker.isArrayType(type) || this.#checker.isTupleType(type)) {
      const [item] = this.#checker.getTypeArguments(type as ts.TypeReference);
      if (!item || this.#checker.isTupleType(type)) throw this.#error(path, "is a tuple; use an array type");
      return { kind: "array", items: this.shapeOf(item, `${path}[]`, integer) };
    }
    if (type.getSymbol()?.getName() === "Date") return { kind: "string", format: "date-time" };
    if (type.getCallSignatures().length > 0) throw this.#error(path, "is a function type");
    if (this.#visiting.has(type)) throw this.#error(path, `refers to ${this.#text(type)} recursively`);
    this.#visiting.add(type);
    try {
      const properties = this.#checker.getPropertiesOfType(type);
      const index = this.#checker.getIndexInfoOfType(type, ts.IndexKind.String);
      if (index && properties.length === 0)
        return { kind: "map", values: this.shapeOf(index.type, `${path}[key]`, integer) };
      if (index) throw this.#error(path, "mixes named properties with an index signature");
      return { kind: "object", properties: properties.map((property) => this.#propertyShape(property, path)) };
    } finally {
      this.#visiting.delete(type);
    }
  }

  #propertyShape(symbol: ts.Symbol, parent: string): PropertyShape {
    const name = uncapitalise(symbol.getName());
    const path = parent ? `${parent}.${symbol.getName()}` : symbol.getName();
    const declaration = symbol.valueDeclaration ?? symbol.declarations?.[0];
    if (!declaration) throw this.#error(path, "has no declaration");
    const type = this.#checker.getTypeOfSymbolAtLocation(symbol, declaration);
    const integer = symbol.getJsDocTags(this.#checker).some((tag) => tag.name === "integer");
    const description = ts.displayPartsToString(symbol.getDocumentationComment(this.#checker)).trim();
    const nullable = type.isUnion() && type.types.some((member) => member.flags & ts.TypeFlags.Null);
    return {
      name,
      shape: this.shapeOf(type, path, integer),
      optional: (symbol.flags & ts.SymbolFlags.Optional) !== 0,
      ...(nullable ? { nullable } : {}),
      ...(description ? { description } : {}),
    };
  }

  #text(type: ts.Type): string {
    return this.#checker.typeToString(type);
  }

  #error(path: string, problem: string): CrdSourceError {
    return new CrdSourceError(`${path ? `${this.#where}.${path}` : this.#where} ${problem}`);
  }
}

export function uncapitalise(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}
