// DeclarationBatch: one period's customs declarations as aligned structure-of-arrays columns.
//
// The columns come in two separate types. DeclaredColumns hold what the trader declared and what the
// administration knows (office, trader registration age, the declarant who lodged it): everything the risk engine and strategies
// may read. TruthColumns hold what really happened (fraud typologies, true value, code, quantity and
// origin, duty evaded, severity): only inspection and metrics read them. Code that scores or selects receives a DeclaredView, which
// has no path to the truth, so "the risk engine never sees the truth" is enforced by the type system.
//
// Row i of every column describes the same declaration; rows are in increasing declaration_id order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "crsim/data/aligned_column.h"

namespace crsim::data {

// Fraud-type bits of TruthColumns::fraud_type, one per typology (docs/fraud.md). Zero means
// compliant; the column is a mask so that a declaration can carry several typologies.
enum FraudTypeBit : std::uint8_t {
  kFraudUndervaluation = 1u << 0,
  kFraudMisclassification = 1u << 1,
  kFraudOriginMisdeclaration = 1u << 2,
  kFraudQuantityMisdeclaration = 1u << 3,
  kFraudProhibitedGoods = 1u << 4,
  kFraudLowValueSplitting = 1u << 5,
  // Who cheats rather than how: a fraud by a phoenix (shell) importer identity carries this bit
  // together with the bit of what it falsified (docs/fraud.md). Inspection ignores it (detection
  // depends on what was falsified).
  kFraudPhoenix = 1u << 6,
  // Who cheats, too: a fraud by a member of a fraud ring ([fraud.rings]) carries this bit together
  // with the bit of what it falsified.
  kFraudRing = 1u << 7,
};
inline constexpr int kNumFraudTypes = 8;
// The first kNumSchemeTypes bits say what was falsified (one per fraud); the others who did it.
inline constexpr int kNumSchemeTypes = 6;
inline constexpr std::uint8_t kFraudActorMask = kFraudPhoenix | kFraudRing;

// Typology names, indexed by bit position: the scenario keys ([fraud.<name>]) and result names.
inline constexpr const char* kFraudTypeNames[kNumFraudTypes] = {
    "undervaluation",      "misclassification", "origin_misdeclaration", "quantity_misdeclaration",
    "prohibited_goods",    "low_value_splitting", "phoenix",               "ring"};

// Read-only view of the declared columns: what the risk engine and strategies see.
struct DeclaredView {
  std::span<const std::uint64_t> declaration_id;  // (day << 32) | row
  std::span<const std::uint32_t> trader;          // trader index
  std::span<const std::uint16_t> office;          // global office index
  std::span<const std::uint32_t> hs6;             // catalogue index of the declared HS6 code
  std::span<const std::uint8_t> hs_chapter;       // HS chapter (1..97) of the declared code
  std::span<const std::uint16_t> origin;          // declared origin country index
  std::span<const float> declared_value;          // customs value, EUR
  std::span<const float> declared_quantity;       // quantity in the code's unit (kg or items)
  std::span<const float> unit_value;              // declared_value / declared_quantity, EUR per unit
  std::span<const float> trader_age_days;         // days since the trader registered (>= 0)
  std::span<const std::uint16_t> departure;       // declared country of departure (route), country index
  std::span<const std::uint16_t> transport_mode;  // 1 + index into arrivals.transport_modes; 0 = none declared
  std::span<const std::uint32_t> declarant;       // customs broker (declarant) who lodged it, 0..declarants-1
  std::size_t size() const { return declaration_id.size(); }
};

// Read-only view of the hidden truth: for inspection and metrics only.
struct TruthView {
  std::span<const std::uint8_t> fraud_type;  // FraudTypeBit mask, 0 = compliant
  std::span<const float> true_value;         // EUR
  std::span<const std::uint32_t> true_hs6;   // catalogue index of the real code
  std::span<const float> duty_evaded;        // EUR, >= 0: duty owed on the truth minus duty owed as declared
  std::span<const float> true_quantity;      // quantity actually shipped
  std::span<const std::uint16_t> true_origin; // country index of the real origin
  std::span<const float> severity;           // security/safety severity weight, 0 = none
  std::size_t size() const { return fraud_type.size(); }
};

struct DeclaredColumns {
  AlignedColumn<std::uint64_t> declaration_id;
  AlignedColumn<std::uint32_t> trader;
  AlignedColumn<std::uint16_t> office;
  AlignedColumn<std::uint32_t> hs6;
  AlignedColumn<std::uint8_t> hs_chapter;
  AlignedColumn<std::uint16_t> origin;
  AlignedColumn<float> declared_value;
  AlignedColumn<float> declared_quantity;
  AlignedColumn<float> unit_value;
  AlignedColumn<float> trader_age_days;
  AlignedColumn<std::uint16_t> departure;
  AlignedColumn<std::uint16_t> transport_mode;
  AlignedColumn<std::uint32_t> declarant;
};

struct TruthColumns {
  AlignedColumn<std::uint8_t> fraud_type;
  AlignedColumn<float> true_value;
  AlignedColumn<std::uint32_t> true_hs6;
  AlignedColumn<float> duty_evaded;
  AlignedColumn<float> true_quantity;
  AlignedColumn<std::uint16_t> true_origin;
  AlignedColumn<float> severity;
};

class DeclarationBatch {
 public:
  std::size_t size() const { return size_; }
  std::int64_t day() const { return day_; }

  // Sets the row count of every column (contents of new rows are unspecified until written).
  void Reset(std::int64_t day, std::size_t size);

  DeclaredView declared() const;
  TruthView truth() const;

  // Writable columns, for the generator and for importers.
  DeclaredColumns& mutable_declared() { return declared_; }
  TruthColumns& mutable_truth() { return truth_; }

 private:
  std::int64_t day_ = 0;
  std::size_t size_ = 0;
  DeclaredColumns declared_;
  TruthColumns truth_;
};

}  // namespace crsim::data
