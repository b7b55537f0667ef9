//! secp128r1 (SEC 2, version 1.0, §2.3.1) as a RustCrypto curve: p = 2¹²⁸ − 2⁹⁷ − 1, a = −3, cofactor 1.
//!
//! No RustCrypto crate ships this curve (it is below every modern security level; NXP uses it only for the
//! originality signature), so it is assembled here from RustCrypto's generic parts, the way their own curve
//! crates are built (compare `bp256`'s `bigint` backend): `primefield`'s Montgomery field element over
//! `crypto-bigint` for the base field and for the scalar field, `primeorder`'s complete projective formulas
//! (Renes–Costello–Batina; valid because the group has prime order, h = 1) for the points, `elliptic-curve`'s
//! traits, and `ecdsa` for the signature scheme. Nothing in here is hand-written arithmetic: only the
//! parameters, checked by the tests at the bottom against the SEC 2 values.

#[allow(unused_imports)]
use elliptic_curve::ff::PrimeField;
use elliptic_curve::{
    bigint::{Odd, U128},
    consts::U16,
    scalar::{FromUintUnchecked, IsHigh},
    subtle::{Choice, ConstantTimeGreater},
    CurveArithmetic, PrimeCurveArithmetic,
};
use primeorder::{mul_backend, point_arithmetic, wnaf, PrimeCurveParams};

/// SEC 2 `n`: the order of the base point. Note n > p (allowed by Hasse's bound): an `x` coordinate is
/// always already reduced mod n.
pub(crate) const ORDER_HEX: &str = "fffffffe0000000075a30d1b9038a115";
const ORDER: Odd<U128> = Odd::<U128>::from_be_hex(ORDER_HEX);

/// The curve secp128r1.
#[derive(Copy, Clone, Debug, Default, Eq, PartialEq, PartialOrd, Ord)]
pub struct Secp128r1;

impl elliptic_curve::Curve for Secp128r1 {
    type FieldBytesSize = U16;
    type Uint = U128;
    const ORDER: Odd<U128> = ORDER;
}

impl elliptic_curve::PrimeCurve for Secp128r1 {}

impl elliptic_curve::point::PointCompression for Secp128r1 {
    const COMPRESS_POINTS: bool = false;
}

// The primefield 0.14 macros call a crypto-bigint method deprecated since.
#[allow(deprecated)]
mod field {
    use super::U128;
    #[allow(unused_imports)]
    use elliptic_curve::{
        ff::PrimeField,
        subtle::{Choice, ConstantTimeEq, CtOption},
    };

    // 3 generates the multiplicative group mod p (checked with sympy's primitive_root; the primefield tests
    // below check that it is a non-residue and the derived roots of unity).
    primefield::monty_field_params! {
        name: FieldParams,
        modulus: "fffffffdffffffffffffffffffffffff",
        uint: U128,
        byte_order: primefield::ByteOrder::BigEndian,
        multiplicative_generator: 3,
        doc: "Montgomery parameters for secp128r1's field modulus p"
    }

    primefield::monty_field_element! {
        name: FieldElement,
        params: FieldParams,
        uint: U128,
        doc: "Element of secp128r1's base field, modulo p"
    }

    primefield::monty_field_arithmetic! {
        name: FieldElement,
        params: FieldParams,
        uint: U128
    }

    impl elliptic_curve::ops::BatchInvert for FieldElement {}

    #[cfg(test)]
    mod tests {
        use super::{FieldElement, U128};
        primefield::test_primefield!(FieldElement, U128);
    }
}

#[allow(deprecated)]
mod scalar {
    use super::U128;
    #[allow(unused_imports)]
    use elliptic_curve::{
        ff::PrimeField,
        subtle::{Choice, ConstantTimeEq, CtOption},
    };

    // 11 generates the multiplicative group mod n (sympy's primitive_root).
    primefield::monty_field_params! {
        name: ScalarParams,
        modulus: super::ORDER_HEX,
        uint: U128,
        byte_order: primefield::ByteOrder::BigEndian,
        multiplicative_generator: 11,
        doc: "Montgomery parameters for secp128r1's group order n"
    }

    primefield::monty_field_element! {
        name: Scalar,
        params: ScalarParams,
        uint: U128,
        doc: "Element of secp128r1's scalar field, modulo n"
    }

    primefield::monty_field_arithmetic! {
        name: Scalar,
        params: ScalarParams,
        uint: U128
    }

    primefield::monty_field_reduce! {
        name: Scalar,
        params: ScalarParams,
        uint: U128,
    }

    #[cfg(test)]
    mod tests {
        use super::{Scalar, U128};
        primefield::test_primefield!(Scalar, U128);
    }
}

pub use field::FieldElement;
pub use scalar::Scalar;

elliptic_curve::scalar_impls!(Secp128r1, Scalar);
wnaf::impl_wnaf_size_for_scalar!(Scalar);

impl AsRef<Scalar> for Scalar {
    fn as_ref(&self) -> &Scalar {
        self
    }
}

impl FromUintUnchecked for Scalar {
    type Uint = U128;

    fn from_uint_unchecked(uint: Self::Uint) -> Self {
        Self::from_uint_unchecked(uint)
    }
}

impl IsHigh for Scalar {
    fn is_high(&self) -> Choice {
        const MODULUS_SHR1: U128 = ORDER.as_ref().shr_vartime(1);
        self.to_canonical().ct_gt(&MODULUS_SHR1)
    }
}

/// A point in affine coordinates.
pub type AffinePoint = primeorder::AffinePoint<Secp128r1>;
/// A point in projective coordinates.
pub type ProjectivePoint = primeorder::ProjectivePoint<Secp128r1>;

impl CurveArithmetic for Secp128r1 {
    type AffinePoint = AffinePoint;
    type ProjectivePoint = ProjectivePoint;
    type Scalar = Scalar;
}

impl elliptic_curve::hazmat::FieldArithmetic for Secp128r1 {
    type FieldElement = FieldElement;
}

impl PrimeCurveArithmetic for Secp128r1 {
    type CurveGroup = ProjectivePoint;
}

impl PrimeCurveParams for Secp128r1 {
    type PointArithmetic = point_arithmetic::EquationAIsMinusThree;
    type Backend = mul_backend::VariableOnly;

    const EQUATION_A: FieldElement =
        FieldElement::from_hex_vartime("fffffffdfffffffffffffffffffffffc");
    const EQUATION_B: FieldElement =
        FieldElement::from_hex_vartime("e87579c11079f43dd824993c2cee5ed3");
    const GENERATOR: (FieldElement, FieldElement) = (
        FieldElement::from_hex_vartime("161ff7528b899b2d0c28607ca52c5b86"),
        FieldElement::from_hex_vartime("cf5ac8395bafeb13c02da292dded7a83"),
    );
}

impl ecdsa::EcdsaCurve for Secp128r1 {
    // NXP's signatures are plain ECDSA: s is whatever the signer computed, high or low.
    const NORMALIZE_S: bool = false;
}

#[cfg(test)]
mod tests {
    use super::*;
    use elliptic_curve::{point::AffineCoordinates, Group};

    #[test]
    fn a_is_minus_three() {
        let three = FieldElement::ONE + FieldElement::ONE + FieldElement::ONE;
        assert_eq!(Secp128r1::EQUATION_A, -three);
    }

    #[test]
    fn the_generator_is_on_the_curve_and_has_order_n() {
        let (x, y) = Secp128r1::GENERATOR;
        assert_eq!(
            y.square(),
            x.square() * x + Secp128r1::EQUATION_A * x + Secp128r1::EQUATION_B
        );
        let g = ProjectivePoint::generator();
        // n·G = O, and (n − 1)·G = −G.
        let n_minus_1 = -Scalar::ONE;
        assert_eq!(g * n_minus_1, -g);
        assert_eq!(g * n_minus_1 + g, ProjectivePoint::identity());
        assert!((g * Scalar::ONE).to_affine().x() == x.to_bytes());
        assert!(!bool::from(Scalar::ONE.is_zero()));
    }
}
