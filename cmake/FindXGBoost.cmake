# FindXGBoost: XGBoost's C API (Debian's libxgboost-dev).
#
# Defines the imported target XGBoost::xgboost (header <xgboost/c_api.h>, library libxgboost).
# Debian's package ships neither a usable CMake config (its export file needs the separate
# `xgboost` command-line package) nor a versioned pkg-config file we can rely on, so this looks
# for the header and the library directly.
find_path(XGBoost_INCLUDE_DIR NAMES xgboost/c_api.h)
find_library(XGBoost_LIBRARY NAMES xgboost)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(XGBoost
  REQUIRED_VARS XGBoost_LIBRARY XGBoost_INCLUDE_DIR
  REASON_FAILURE_MESSAGE "install libxgboost-dev (scripts/install-deps.sh does)")

if(XGBoost_FOUND AND NOT TARGET XGBoost::xgboost)
  add_library(XGBoost::xgboost UNKNOWN IMPORTED)
  set_target_properties(XGBoost::xgboost PROPERTIES
    IMPORTED_LOCATION "${XGBoost_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${XGBoost_INCLUDE_DIR}")
endif()
mark_as_advanced(XGBoost_INCLUDE_DIR XGBoost_LIBRARY)
