#include "crsim/data/declaration_batch.h"

namespace crsim::data {

void DeclarationBatch::Reset(std::int64_t day, std::size_t size) {
  day_ = day;
  size_ = size;
  declared_.declaration_id.resize(size);
  declared_.trader.resize(size);
  declared_.office.resize(size);
  declared_.hs6.resize(size);
  declared_.hs_chapter.resize(size);
  declared_.origin.resize(size);
  declared_.declared_value.resize(size);
  declared_.declared_quantity.resize(size);
  declared_.unit_value.resize(size);
  declared_.trader_age_days.resize(size);
  declared_.departure.resize(size);
  declared_.transport_mode.resize(size);
  declared_.declarant.resize(size);
  truth_.fraud_type.resize(size);
  truth_.true_value.resize(size);
  truth_.true_hs6.resize(size);
  truth_.duty_evaded.resize(size);
  truth_.true_quantity.resize(size);
  truth_.true_origin.resize(size);
  truth_.severity.resize(size);
}

DeclaredView DeclarationBatch::declared() const {
  const DeclaredColumns& c = declared_;
  return DeclaredView{c.declaration_id.span(), c.trader.span(),         c.office.span(),
                      c.hs6.span(),            c.hs_chapter.span(),     c.origin.span(),
                      c.declared_value.span(), c.declared_quantity.span(), c.unit_value.span(),
                      c.trader_age_days.span(), c.departure.span(), c.transport_mode.span(),
                      c.declarant.span()};
}

TruthView DeclarationBatch::truth() const {
  const TruthColumns& c = truth_;
  return TruthView{c.fraud_type.span(),    c.true_value.span(),  c.true_hs6.span(), c.duty_evaded.span(),
                   c.true_quantity.span(), c.true_origin.span(), c.severity.span()};
}

}  // namespace crsim::data
