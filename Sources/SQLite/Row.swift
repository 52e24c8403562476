/// One result row, copied out of the statement so it outlives the next step.
public struct Row: Sendable {
    public let values: [DatabaseValue]

    public subscript(index: Int) -> DatabaseValue { values[index] }

    public func string(_ index: Int) -> String? { values[index].string }
    public func int(_ index: Int) -> Int? { values[index].int }
    public func int64(_ index: Int) -> Int64? { values[index].int64 }
    public func double(_ index: Int) -> Double? { values[index].double }
    public func isNull(_ index: Int) -> Bool { values[index].isNull }
}
